// The text/event-stream parser of the revocation feed, against the WHATWG HTML rules (§9.2.6 "Interpreting an event
// stream"): line endings, chunk boundaries anywhere, comments, fields, multi-line data.
import { describe, expect, it } from "vitest";
import { EventStreamParser, type ServerSentEvent } from "../src/revocation/sse.js";

function parse(chunks: readonly string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((event) => events.push(event));
  for (const chunk of chunks) parser.feed(chunk);
  return events;
}

describe("EventStreamParser", () => {
  it("dispatches an event at a blank line with its id, type and data", () => {
    expect(parse(["id: 1-0\nevent: snapshot\ndata: abc\n\n"])).toEqual([{ id: "1-0", event: "snapshot", data: "abc" }]);
  });

  it("accepts CRLF, CR and LF line endings, and a CRLF split across two chunks", () => {
    expect(parse(["id: 1\r\ndata: a\r", "\n\r\n", "data: b\r\r", "data: c\n\n"])).toEqual([
      { id: "1", event: "message", data: "a" },
      { id: "1", event: "message", data: "b" },
      { id: "1", event: "message", data: "c" },
    ]);
  });

  it("reassembles an event split at every byte", () => {
    const text = ": keep-alive\n\nretry: 1000\n\nid: 7-0\nevent: revocation\ndata: x.y.z\n\n";
    expect(parse(Array.from({ length: text.length }, (_, i) => text.charAt(i)))).toEqual([{ id: "7-0", event: "revocation", data: "x.y.z" }]);
  });

  it("ignores comments and unknown fields, joins data lines with newlines, keeps the last id for later events", () => {
    expect(parse([": hi\nfoo: bar\ndata: one\ndata:two\ndata\n\nevent: e\ndata: three\n\n"])).toEqual([
      { id: undefined, event: "message", data: "one\ntwo\n" },
      { id: undefined, event: "e", data: "three" },
    ]);
  });

  it("dispatches nothing for an event without data, and ignores an id containing NUL", () => {
    expect(parse(["event: empty\n\nid: a\0b\ndata: d\n\n"])).toEqual([{ id: undefined, event: "message", data: "d" }]);
  });

  it("refuses a line or an event longer than its bound instead of buffering without limit", () => {
    expect(() => new EventStreamParser(() => undefined, 16).feed("data: 0123456789abcdefghij")).toThrow("event stream line too long");
    expect(() => new EventStreamParser(() => undefined, 16).feed("data: 0123456\ndata: 789abcdef\n")).toThrow("event stream event too long");
  });
});
