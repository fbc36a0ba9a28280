import type { Redis } from "ioredis";

/**
 * The answer to one reservation: `granted` (evaluate the credential), `busy` (failures plus
 * attempts in flight already reach the limit: ask again once one settles) or `throttled` (the
 * failures alone reach it; `resetSeconds` until the window ends).
 */
export interface Reservation {
  readonly state: "granted" | "busy" | "throttled";
  readonly resetSeconds: number;
}

/**
 * Counts failed authentication attempts per key in fixed windows (starting with the first
 * failure), with check-and-count in one step: an attempt is granted only while failures plus
 * attempts in flight stay below `max`, and is in flight at once, so however many arrive together
 * at most `max` are being evaluated before their failures are known. `settle` ends an attempt: a
 * failure is counted, a success only leaves. Memory and Redis implementations pass one conformance
 * suite (`test/failure-counter.test.ts`).
 */
export interface FailureCounter {
  readonly kind: "memory" | "redis";
  reserve(key: string, max: number): Promise<Reservation>;
  /** Ends an attempt (`reserved`: it was granted); a `failed` one counts in the key's window. */
  settle(key: string, failed: boolean, windowSeconds: number, reserved: boolean): Promise<void>;
}

/** How long an attempt may stay in flight before its slot frees itself (a process that died holding it). */
export const IN_FLIGHT_TTL_MS = 10_000;

const RESERVE = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return {2, redis.call('PTTL', KEYS[1])} end
local flying = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures + flying >= tonumber(ARGV[1]) then return {1, 0} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {0, 0}
`;

const SETTLE = `
if ARGV[3] == '1' then
  local flying = tonumber(redis.call('GET', KEYS[2]) or '0')
  if flying > 0 then redis.call('DECR', KEYS[2]) end
end
if ARGV[1] == '1' then
  if redis.call('INCR', KEYS[1]) == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
end
return 0
`;

const STATES = ["granted", "busy", "throttled"] as const;

/** Fixed windows in Redis: one atomic script per call, shared by every worker and replica. */
export class RedisFailureCounter implements FailureCounter {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}fail:`;
    redis.defineCommand("gatehouseFailReserve", { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand("gatehouseFailSettle", { numberOfKeys: 2, lua: SETTLE });
  }

  async reserve(key: string, max: number): Promise<Reservation> {
    const [state, ttlMs] = await this.#script("gatehouseFailReserve")(...this.#keys(key), max, IN_FLIGHT_TTL_MS);
    const decided = STATES[state] ?? "throttled";
    return { state: decided, resetSeconds: decided === "throttled" ? Math.max(1, Math.ceil(ttlMs / 1000)) : 0 };
  }

  async settle(key: string, failed: boolean, windowSeconds: number, reserved: boolean): Promise<void> {
    await this.#script("gatehouseFailSettle")(...this.#keys(key), failed ? 1 : 0, windowSeconds * 1000, reserved ? 1 : 0);
  }

  #keys(key: string): [string, string] {
    return [`${this.#prefix}${key}`, `${this.#prefix}${key}:flying`];
  }

  /** A script registered with `defineCommand` (sent once, then run by its SHA1). */
  #script(name: string): (...args: (string | number)[]) => Promise<[number, number]> {
    const command = (this.#redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number]>>)[name];
    if (command === undefined) throw new Error(`Redis script ${name} is not defined`);
    return command.bind(this.#redis);
  }
}

/** Fixed windows in this process (synchronous check-and-count), bounded to `maxKeys` keys (the oldest are dropped). */
export class MemoryFailureCounter implements FailureCounter {
  readonly kind = "memory";
  readonly #entries = new Map<string, { failures: number; resetAt: number; flying: number }>();
  readonly #maxKeys: number;

  constructor(maxKeys = 50_000) {
    this.#maxKeys = maxKeys;
  }

  reserve(key: string, max: number): Promise<Reservation> {
    const now = Date.now();
    const entry = this.#entry(key, now);
    if (entry.failures >= max) return Promise.resolve({ state: "throttled", resetSeconds: Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) });
    if (entry.failures + entry.flying >= max) return Promise.resolve({ state: "busy", resetSeconds: 0 });
    entry.flying += 1;
    return Promise.resolve({ state: "granted", resetSeconds: 0 });
  }

  settle(key: string, failed: boolean, windowSeconds: number, reserved: boolean): Promise<void> {
    const now = Date.now();
    const entry = this.#entry(key, now);
    if (reserved && entry.flying > 0) entry.flying -= 1;
    if (failed) {
      if (entry.failures === 0) entry.resetAt = now + windowSeconds * 1000;
      entry.failures += 1;
    }
    return Promise.resolve();
  }

  #entry(key: string, now: number) {
    let entry = this.#entries.get(key);
    if (entry !== undefined && entry.failures > 0 && entry.resetAt <= now) {
      entry.failures = 0;
    }
    if (entry === undefined) {
      if (this.#entries.size >= this.#maxKeys) this.#evict(now);
      entry = { failures: 0, resetAt: 0, flying: 0 };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#entries) if (entry.resetAt <= now && entry.flying === 0) this.#entries.delete(key);
    while (this.#entries.size >= this.#maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }
}
