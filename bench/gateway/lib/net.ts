import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import type { Started } from "../../lib/processes.js";

/** A port that was free on 127.0.0.1 a moment ago (for servers that cannot report a port 0 choice). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One GET; resolves with the status code, rejects on a socket error or after 2 s. */
export function probe(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 2_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout on ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits until `url` answers any HTTP status, failing early when `owner` exits and at the latest
 * after `timeoutMs`.
 */
export async function waitForHttp(url: string, owner: Started, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void owner.exited.then((code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`${owner.name} exited (${exited}) before answering; see ${owner.logFile}`);
    try {
      await probe(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${owner.name} did not answer ${url} within ${timeoutMs} ms; see ${owner.logFile}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
