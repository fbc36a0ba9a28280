import type { Redis } from "ioredis";
import type { Logger } from "@gatehouse/service-kit";
import { entryKey, isActive, parseRecord, type FeedRecord, type RevocationRecord } from "./entry.js";
import { compareIds, FEED_START, type RevocationStore } from "./store.js";

// Appends to the feed (trimming records older than the retention) and sets the active entry, atomically.
const ADD = `
local id = redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[3], '*', 'r', ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
return id
`;

// The active set and the feed id it is complete up to, read atomically.
const SNAPSHOT = `
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local id = '${FEED_START}'
if #last > 0 then id = last[1][1] end
return { id, redis.call('HGETALL', KEYS[1]) }
`;

// The records after ARGV[1], or false when the feed cannot resume from it (trimmed past it, or reset).
const AFTER = `
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #first == 0 then
  if ARGV[1] == '${FEED_START}' then return {} end
  return false
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
return { first[1][1], last[1][1], redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+') }
`;

type StreamEntry = [id: string, fields: string[]];

/**
 * Revocations in Redis, shared by every replica: a hash of active entries (`<prefix>revocations:active`,
 * `kind:value` → record) and a stream (`<prefix>revocations:feed`) whose ids Redis makes monotonic for
 * every writer. Each process reads the stream with one blocking `XREAD` connection and hands new
 * records to its subscribers, so any replica serves the full feed. The stream keeps records for the
 * retention (the longest token lifetime); a subscriber further behind gets a snapshot.
 * Revocations survive a Redis restart only if Redis persists its data (`appendonly yes`).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #reader: Redis;
  readonly #logger: Logger;
  readonly #keys: [active: string, feed: string];
  readonly #listeners = new Set<(record: FeedRecord) => void>();
  #reading: Promise<void> | undefined;
  #closed = false;

  constructor(redis: Redis, prefix: string, logger: Logger) {
    this.#redis = redis;
    this.#reader = redis.duplicate({ lazyConnect: true, commandTimeout: 5000, maxRetriesPerRequest: null });
    this.#reader.on("error", () => {
      // The main connection's watcher logs outages; the read loop retries by itself.
    });
    this.#logger = logger;
    this.#keys = [`${prefix}revocations:active`, `${prefix}revocations:feed`];
  }

  async add(record: RevocationRecord, retentionSeconds: number): Promise<FeedRecord> {
    const minId = `${Date.now() - retentionSeconds * 1000}-0`;
    const id = (await this.#redis.eval(ADD, 2, ...this.#keys, JSON.stringify(record), entryKey(record.revocation), minId)) as string;
    return { ...record, id };
  }

  async snapshot(nowSec: number): Promise<{ id: string; records: RevocationRecord[] }> {
    const [id, flat] = (await this.#redis.eval(SNAPSHOT, 2, ...this.#keys)) as [string, string[]];
    const records: RevocationRecord[] = [];
    const expired: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const record = parseRecord(flat[i + 1] ?? "");
      if (record === undefined || !isActive(record.revocation, nowSec)) expired.push(flat[i] ?? "");
      else records.push(record);
    }
    if (expired.length > 0) {
      this.#redis.hdel(this.#keys[0], ...expired).catch((error: unknown) => this.#logger.warn({ err: error }, "dropping expired revocations failed"));
    }
    return { id, records };
  }

  async after(id: string): Promise<FeedRecord[] | undefined> {
    const answer = (await this.#redis.eval(AFTER, 1, this.#keys[1], id)) as [string, string, StreamEntry[]] | [] | null;
    if (answer === null) return undefined;
    if (answer.length === 0) return [];
    const [first, last, entries] = answer;
    const fromFirst = compareIds(id, first);
    const toLast = compareIds(id, last);
    if (fromFirst === undefined || toLast === undefined || fromFirst < 0 || toLast > 0) return undefined;
    return entries.flatMap((entry) => this.#toFeedRecord(entry));
  }

  subscribe(listener: (record: FeedRecord) => void): () => void {
    this.#listeners.add(listener);
    this.#reading ??= this.#readLoop();
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#reader.disconnect();
    await this.#reading;
  }

  #toFeedRecord([id, fields]: StreamEntry): FeedRecord[] {
    const record = parseRecord(fields[1] ?? "");
    if (record === undefined) {
      this.#logger.error({ id }, "ignoring an invalid revocation record in Redis");
      return [];
    }
    return [{ ...record, id }];
  }

  async #readLoop(): Promise<void> {
    let lastId: string | undefined;
    while (!this.#closed) {
      try {
        if (this.#reader.status === "wait") await this.#reader.connect();
        if (lastId === undefined) {
          const last = (await this.#reader.xrevrange(this.#keys[1], "+", "-", "COUNT", 1)) as StreamEntry[];
          lastId = last[0]?.[0] ?? FEED_START;
        }
        const answer = await this.#reader.xread("COUNT", 500, "BLOCK", 1000, "STREAMS", this.#keys[1], lastId);
        for (const entry of answer?.[0]?.[1] ?? []) {
          lastId = entry[0];
          for (const record of this.#toFeedRecord(entry)) for (const listener of this.#listeners) listener(record);
        }
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}
