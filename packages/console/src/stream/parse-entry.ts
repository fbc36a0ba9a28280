import { EVENT_FIELD, securityEventSchema, type SecurityEvent } from "@gatehouse/service-kit";

/** One event read from the stream, with its stream id (`<ms>-<seq>`). */
export interface StreamEvent {
  readonly id: string;
  readonly event: SecurityEvent;
}

/** Why an entry was skipped. */
export type SkipReason = "malformed" | "oversized";

/**
 * Turns one raw stream entry (`[id, [field, value, …]]`) into an event, or says why it is
 * skipped: no `e` field, more than `maxBytes`, not JSON, or not the shared event schema.
 * Never throws: whatever another writer put into the stream cannot stop the console.
 */
export function parseEntry(id: string, fields: readonly string[], maxBytes: number): StreamEvent | SkipReason {
  let value: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === EVENT_FIELD) value = fields[i + 1];
  }
  if (value === undefined) return "malformed";
  if (Buffer.byteLength(value) > maxBytes) return "oversized";
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return "malformed";
  }
  const parsed = securityEventSchema.safeParse(json);
  if (!parsed.success || Number.isNaN(Date.parse(parsed.data.time))) return "malformed";
  return { id, event: parsed.data };
}

/** Compares two stream ids numerically (`-1`, `0`, `1`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split("-").map((part) => BigInt(part));
  const [bm = 0n, bs = 0n] = b.split("-").map((part) => BigInt(part));
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}
