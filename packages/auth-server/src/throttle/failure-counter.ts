import type { Redis } from "ioredis";

/** A failure count within the current window and the seconds until the window ends. */
export interface FailureCount {
  readonly count: number;
  readonly resetSeconds: number;
}

/**
 * Counts failed client authentications per key (a client id or an IP) in fixed windows. Memory
 * and Redis implementations pass one conformance suite (`test/failure-counter.test.ts`).
 */
export interface FailureCounter {
  readonly kind: "memory" | "redis";
  /** Adds one failure; the window starts with the first failure. */
  hit(key: string, windowSeconds: number): Promise<FailureCount>;
  /** The current count (0 when no window is open). */
  peek(key: string): Promise<FailureCount>;
}

const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

const PEEK = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
return {tonumber(count), redis.call('TTL', KEYS[1])}
`;

/** Fixed windows in Redis: one atomic script per call, shared by every worker and replica. */
export class RedisFailureCounter implements FailureCounter {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}fail:`;
    redis.defineCommand("gatehouseFailHit", { numberOfKeys: 1, lua: HIT });
    redis.defineCommand("gatehouseFailPeek", { numberOfKeys: 1, lua: PEEK });
  }

  async hit(key: string, windowSeconds: number): Promise<FailureCount> {
    const [count, ttl] = await this.#script("gatehouseFailHit")(this.#prefix + key, windowSeconds);
    return { count, resetSeconds: Math.max(1, ttl) };
  }

  async peek(key: string): Promise<FailureCount> {
    const [count, ttl] = await this.#script("gatehouseFailPeek")(this.#prefix + key);
    return { count, resetSeconds: Math.max(0, ttl) };
  }

  /** A script registered with `defineCommand` (sent once, then run by its SHA1). */
  #script(name: string): (...args: (string | number)[]) => Promise<[number, number]> {
    const command = (this.#redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number]>>)[name];
    if (command === undefined) throw new Error(`Redis script ${name} is not defined`);
    return command.bind(this.#redis);
  }
}

/** Fixed windows in this process, bounded to `maxKeys` open windows (the oldest are dropped). */
export class MemoryFailureCounter implements FailureCounter {
  readonly kind = "memory";
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  readonly #maxKeys: number;

  constructor(maxKeys = 50_000) {
    this.#maxKeys = maxKeys;
  }

  hit(key: string, windowSeconds: number): Promise<FailureCount> {
    const now = Date.now();
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      if (this.#windows.size >= this.#maxKeys) this.#evict(now);
      window = { count: 0, resetAt: now + windowSeconds * 1000 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return Promise.resolve({ count: window.count, resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) });
  }

  peek(key: string): Promise<FailureCount> {
    const now = Date.now();
    const window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) return Promise.resolve({ count: 0, resetSeconds: 0 });
    return Promise.resolve({ count: window.count, resetSeconds: Math.ceil((window.resetAt - now) / 1000) });
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
