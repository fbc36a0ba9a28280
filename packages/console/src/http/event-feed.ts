import type { ServerResponse } from "node:http";

const HEARTBEAT_MS = 15_000;
/** A client that lets this much output pile up is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The server-sent events feed (`GET /api/events`, WHATWG HTML §9.2): each message has an
 * `event:` type (`status`, `graph`, `event`, `anomaly`) and one JSON `data:` line. A comment
 * line every 15 s keeps proxies from closing an idle feed. A slow reader is disconnected.
 */
export class EventFeed {
  readonly #clients = new Set<ServerResponse>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor() {
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) client.write(": keep-alive\n\n");
    }, HEARTBEAT_MS).unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Starts a feed on `res`, sending `initial` messages first. */
  open(res: ServerResponse, initial: readonly [string, unknown][]): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "keep-alive",
    });
    res.write("retry: 2000\n\n");
    for (const [type, data] of initial) res.write(message(type, data));
    this.#clients.add(res);
    res.on("close", () => this.#clients.delete(res));
  }

  send(type: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = message(type, data);
    for (const client of this.#clients) {
      if (client.writableLength > MAX_BUFFERED_BYTES) {
        client.destroy();
        this.#clients.delete(client);
        continue;
      }
      client.write(text);
    }
  }

  close(): void {
    clearInterval(this.#heartbeat);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}

function message(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
