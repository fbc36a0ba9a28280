import { connect } from "node:net";
import { request as undiciRequest } from "undici";

/** A response as a client sees it: status, headers (lower-case) and body text. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** Sends one request with undici and reads the whole answer. */
export async function send(
  url: string,
  options: { method?: string; headers?: Record<string, string> | string[]; body?: string | Buffer } = {},
): Promise<Answer> {
  const response = await undiciRequest(url, {
    method: (options.method ?? "GET") as "GET",
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

/** Parses a JSON body for whole-body assertions. */
export function json(answer: Answer): unknown {
  return JSON.parse(answer.body) as unknown;
}

/**
 * Writes raw bytes to the port and returns everything the server sent until it closed the
 * connection (the request should say `Connection: close`), for requests an HTTP client refuses
 * to build: duplicate headers, trailers, odd targets.
 */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("raw request timed out"));
    }, 10_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    socket.write(text);
  });
}

/** The status line and body of a raw HTTP/1.1 response. */
export function parseRaw(text: string): { status: number; headers: Record<string, string>; body: string } {
  const split = text.indexOf("\r\n\r\n");
  const head = text.slice(0, split).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(head[0]?.split(" ")[1]), headers, body: text.slice(split + 4) };
}
