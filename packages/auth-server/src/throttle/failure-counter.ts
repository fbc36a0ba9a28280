import type { Redis } from "ioredis";

/** The answer to one reservation: whether it was granted, and the seconds until the window ends. */
export interface Reservation {
  readonly granted: boolean;
  readonly resetSeconds: number;
}

/**
 * Counts authentication attempts per key in fixed windows, check-and-count in one step: a
 * reservation is granted only while fewer than `max` are counted, and counts at once, so N
 * concurrent attempts get exactly `max` grants. An attempt that turns out to succeed hands its
 * reservation back with `release`; a failure keeps it. Memory and Redis implementations pass one
 * conformance suite (`test/failure-counter.test.ts`).
 */
export interface FailureCounter {
  readonly kind: "memory" | "redis";
  /** Counts one attempt if fewer than `max` are counted in the key's window (which starts with the first). */
  reserve(key: string, max: number, windowSeconds: number): Promise<Reservation>;
  /** Gives back one granted reservation (the attempt succeeded). */
  release(key: string): Promise<void>;
}

const RESERVE = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if count >= tonumber(ARGV[1]) and ttl > 0 then return {0, ttl} end
count = redis.call('INCR', KEYS[1])
if ttl <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {1, ttl}
`;

const RELEASE = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`;

/** Fixed windows in Redis: one atomic script per call, shared by every worker and replica. */
export class RedisFailureCounter implements FailureCounter {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}fail:`;
    redis.defineCommand("gatehouseFailReserve", { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand("gatehouseFailRelease", { numberOfKeys: 1, lua: RELEASE });
  }

  async reserve(key: string, max: number, windowSeconds: number): Promise<Reservation> {
    const [granted, ttlMs] = await this.#script("gatehouseFailReserve")(this.#prefix + key, max, windowSeconds * 1000);
    return { granted: granted === 1, resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
  }

  async release(key: string): Promise<void> {
    await this.#script("gatehouseFailRelease")(this.#prefix + key);
  }

  /** A script registered with `defineCommand` (sent once, then run by its SHA1). */
  #script(name: string): (...args: (string | number)[]) => Promise<[number, number]> {
    const command = (this.#redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number]>>)[name];
    if (command === undefined) throw new Error(`Redis script ${name} is not defined`);
    return command.bind(this.#redis);
  }
}

/** Fixed windows in this process (synchronous check-and-count), bounded to `maxKeys` open windows (the oldest are dropped). */
export class MemoryFailureCounter implements FailureCounter {
  readonly kind = "memory";
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  readonly #maxKeys: number;

  constructor(maxKeys = 50_000) {
    this.#maxKeys = maxKeys;
  }

  reserve(key: string, max: number, windowSeconds: number): Promise<Reservation> {
    const now = Date.now();
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      if (this.#windows.size >= this.#maxKeys) this.#evict(now);
      window = { count: 0, resetAt: now + windowSeconds * 1000 };
      this.#windows.set(key, window);
    }
    const resetSeconds = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
    if (window.count >= max) return Promise.resolve({ granted: false, resetSeconds });
    window.count += 1;
    return Promise.resolve({ granted: true, resetSeconds });
  }

  release(key: string): Promise<void> {
    const window = this.#windows.get(key);
    if (window !== undefined && window.count > 0) window.count -= 1;
    return Promise.resolve();
  }

  #evict(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
    while (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
  }
}
