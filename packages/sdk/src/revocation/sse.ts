/**
 * A parser of the `text/event-stream` format (WHATWG HTML §9.2.6): lines ending in CR, LF or CRLF; `:` comments;
 * the `event`, `data`, `id` and `retry` fields; an event dispatched at each blank line when it has data.
 *
 * @module
 */

/** One dispatched event. */
export interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** Feeds text chunks in, calls `onEvent` for each complete event. Holds at most one unfinished event. */
export class EventStreamParser {
  readonly #onEvent: (event: ServerSentEvent) => void;
  readonly #maxEventBytes: number;
  #buffer = "";
  #data: string[] = [];
  #dataLength = 0;
  #event = "";
  #id: string | undefined;

  constructor(onEvent: (event: ServerSentEvent) => void, maxEventBytes = 16 * 1024 * 1024) {
    this.#onEvent = onEvent;
    this.#maxEventBytes = maxEventBytes;
  }

  /** Parses a chunk; throws when a line or an event's data grows beyond the size bound (characters). */
  feed(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (match === null) break;
      // A lone CR at the end may be the first half of a CRLF: wait for the next chunk.
      if (match[0] === "\r" && match.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
    if (this.#buffer.length > this.#maxEventBytes) throw new Error("event stream line too long");
  }

  #line(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) this.#onEvent({ id: this.#id, event: this.#event === "" ? "message" : this.#event, data: this.#data.join("\n") });
      this.#data = [];
      this.#dataLength = 0;
      this.#event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#dataLength += value.length + 1;
      if (this.#dataLength > this.#maxEventBytes) throw new Error("event stream event too long");
      this.#data.push(value);
    }
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
  }
}
