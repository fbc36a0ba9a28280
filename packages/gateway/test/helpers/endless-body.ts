import { connect } from "node:net";

/** How a connection streaming a request body ended. */
export interface StreamOutcome {
  /** Body bytes the client managed to hand to its socket (includes what sits in kernel buffers). */
  readonly written: number;
  /** Everything the server sent back. */
  readonly received: string;
  /**
   * `closed`: the server ended the connection (FIN or reset); `cap`: the client gave up after
   * `capBytes` with the connection still open; `timeout`: still open after `timeoutMs`.
   */
  readonly end: "closed" | "cap" | "timeout";
  /** Milliseconds from the request head to the end. */
  readonly ms: number;
}

/**
 * Sends `head` (a request line and headers ending in a blank line) on a raw socket, then an
 * endless chunked body in 64 KiB chunks with backpressure, until the server closes the
 * connection, `capBytes` have been written, or `timeoutMs` pass.
 */
export function streamEndlessBody(port: number, head: string, options: { capBytes: number; timeoutMs: number }): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunk = Buffer.from(`10000\r\n${"a".repeat(0x10000)}\r\n`);
    const started = performance.now();
    const received: Buffer[] = [];
    let written = 0;
    let settled = false;
    const finish = (end: StreamOutcome["end"]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ written, received: Buffer.concat(received).toString("latin1"), end, ms: performance.now() - started });
    };
    const pump = (): void => {
      while (!settled && socket.writable) {
        if (written >= options.capBytes) {
          finish("cap");
          return;
        }
        written += chunk.length;
        if (!socket.write(chunk)) return;
      }
    };
    const timer = setTimeout(() => finish("timeout"), options.timeoutMs);
    socket.on("data", (data: Buffer) => received.push(data));
    socket.on("drain", pump);
    socket.on("error", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("end", () => finish("closed"));
    socket.write(head, pump);
  });
}
