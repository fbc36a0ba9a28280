import { connect, type Socket } from "node:net";

/** When the server cut a slow client off, counted from the moment the connection opened (or went idle). */
export interface CutOff {
  /** Milliseconds until the server closed the connection; `Infinity` when it had not by `giveUpAfterMs`. */
  readonly afterMs: number;
  /** Everything the server sent. */
  readonly received: string;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

function whenClosed(socket: Socket, startedAt: () => number, giveUpAfterMs: number, received: () => string): Promise<CutOff> {
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => {
      resolve({ afterMs: Number.POSITIVE_INFINITY, received: received() });
      socket.destroy();
    }, giveUpAfterMs);
    socket.once("close", () => {
      clearTimeout(giveUp);
      resolve({ afterMs: performance.now() - startedAt(), received: received() });
    });
  });
}

/**
 * A slowloris client on a raw socket: sends `preamble` at once, then one byte of `drip` a second
 * (over and over) and never finishes. Resolves when the server closes the connection.
 */
export async function trickle(port: number, preamble: string, drip: string, giveUpAfterMs: number): Promise<CutOff> {
  const socket = await open(port);
  const startedAt = performance.now();
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  socket.write(preamble);
  let i = 0;
  const dripping = setInterval(() => {
    if (!socket.destroyed) socket.write(drip[i++ % drip.length] ?? "x");
  }, 1_000);
  const cut = await whenClosed(socket, () => startedAt, giveUpAfterMs, () => received);
  clearInterval(dripping);
  return cut;
}

/**
 * Sends one complete request, waits for its whole answer (`answered` says when it has it), then
 * stays idle. Resolves when the server closes the idle connection, timed from the end of the answer.
 */
export async function idleAfter(port: number, request: string, answered: (received: string) => boolean, giveUpAfterMs: number): Promise<CutOff> {
  const socket = await open(port);
  let received = "";
  let idleSince = Number.NaN;
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    if (Number.isNaN(idleSince) && answered(received)) idleSince = performance.now();
  });
  socket.write(request);
  return whenClosed(socket, () => idleSince, giveUpAfterMs, () => received);
}
