import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a backend saw of one request. */
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly rawHeaders: readonly string[];
  readonly body: string;
  readonly trailers: IncomingMessage["trailers"];
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

/** The default answer: 200 JSON naming the backend. */
const ok = (name: string): BackendHandler => (_req, res) => {
  const body = JSON.stringify({ backend: name });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
};

/** A real HTTP backend on port 0 that records every request it receives. */
export async function startBackend(name = "backend", handler: BackendHandler = ok(name)) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: Seen = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString("utf8"),
        trailers: req.trailers,
      };
      seen.push(record);
      handler(req, res, record);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    port,
    seen,
    async close() {
      server.closeAllConnections();
      server.close();
      if (server.listening) await once(server, "close");
    },
  };
}

export type Backend = Awaited<ReturnType<typeof startBackend>>;
