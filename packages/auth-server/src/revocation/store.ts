import type { FeedRecord, RevocationRecord } from "./entry.js";

/** The feed id before any record: a snapshot taken of an empty feed carries it. */
export const FEED_START = "0-0";

/**
 * Where revocations live: the active set (one entry per kind and value, dropped once expired) and
 * the feed of every record in order, with ids that only grow, across every replica that shares the
 * store. The memory store is one process only; the Redis store shares both through a Redis hash and
 * a Redis stream. Both pass one conformance suite (`test/revocation-store.test.ts`).
 */
export interface RevocationStore {
  readonly kind: "memory" | "redis";
  /** Adds a record to the feed and the active set (replacing an entry of the same kind and value). */
  add(record: RevocationRecord, retentionSeconds: number): Promise<FeedRecord>;
  /** Every entry still active at `nowSec`, with the feed id the set is complete up to. */
  snapshot(nowSec: number): Promise<{ readonly id: string; readonly records: readonly RevocationRecord[] }>;
  /**
   * The records after `id`, in order; undefined when the feed cannot say (the id is older than the
   * oldest record kept, or newer than the newest: the store was reset), so the caller sends a snapshot.
   */
  after(id: string): Promise<readonly FeedRecord[] | undefined>;
  /** Calls `listener` with every record added from now on, by any replica, in feed order. */
  subscribe(listener: (record: FeedRecord) => void): () => void;
  close(): Promise<void>;
}

/** Compares two feed ids (`<ms>-<seq>`); NaN parts (a malformed id) compare as undefined. */
export function compareIds(a: string, b: string): number | undefined {
  const pa = parseId(a);
  const pb = parseId(b);
  if (pa === undefined || pb === undefined) return undefined;
  if (pa[0] !== pb[0]) return pa[0] < pb[0] ? -1 : 1;
  if (pa[1] !== pb[1]) return pa[1] < pb[1] ? -1 : 1;
  return 0;
}

/** A feed id as two integers, undefined when it is not one. */
export function parseId(id: string): [bigint, bigint] | undefined {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(id);
  if (match === null) return undefined;
  return [BigInt(match[1] ?? "0"), BigInt(match[2] ?? "0")];
}
