import type { Redis } from "ioredis";

/**
 * Remembers client assertion ids (`jti`, RFC 7523 §3 item 7) until they expire, so an assertion
 * is accepted once. `firstUse` must be atomic: two workers racing with one assertion get one `true`.
 */
export interface ReplayCache {
  readonly kind: "memory" | "redis";
  /** True the first time `key` is seen within `ttlSeconds`, false on every later call. */
  firstUse(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Binds `key` to `owner` the first time it is seen within `ttlSeconds` and answers the owner it
   * is bound to (`owner` itself the first time, the first owner on every later call). Atomic.
   */
  bindOnce(key: string, owner: string, ttlSeconds: number): Promise<string | undefined>;
}

/** `SET key 1 NX EX ttl` in Redis: one atomic round trip shared by every worker and replica. */
export class RedisReplayCache implements ReplayCache {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async firstUse(key: string, ttlSeconds: number): Promise<boolean> {
    const reply = await this.#redis.set(`${this.#prefix}jti:${key}`, "1", "EX", Math.max(1, Math.ceil(ttlSeconds)), "NX");
    return reply === "OK";
  }

  async bindOnce(key: string, owner: string, ttlSeconds: number): Promise<string | undefined> {
    // SET … NX GET (Redis 7): sets when absent and answers the previous value, in one step.
    const previous = (await this.#redis.call("SET", `${this.#prefix}bind:${key}`, owner, "EX", String(Math.max(1, Math.ceil(ttlSeconds))), "NX", "GET")) as string | null;
    return previous ?? owner;
  }
}

/**
 * The in-process cache, for one process without Redis (development). Bounded: beyond `maxEntries`
 * live ids it answers false (fail closed) rather than grow without limit.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly kind = "memory";
  readonly #seen = new Map<string, number>();
  readonly #owners = new Map<string, { readonly owner: string; readonly expires: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  firstUse(key: string, ttlSeconds: number): Promise<boolean> {
    const now = Date.now();
    const expires = this.#seen.get(key);
    if (expires !== undefined && expires > now) return Promise.resolve(false);
    if (this.#seen.size >= this.#maxEntries) this.#sweep(now);
    if (this.#seen.size >= this.#maxEntries) return Promise.resolve(false);
    this.#seen.set(key, now + Math.max(1, ttlSeconds) * 1000);
    return Promise.resolve(true);
  }

  bindOnce(key: string, owner: string, ttlSeconds: number): Promise<string | undefined> {
    const now = Date.now();
    const bound = this.#owners.get(key);
    if (bound !== undefined && bound.expires > now) return Promise.resolve(bound.owner);
    if (this.#owners.size >= this.#maxEntries) for (const [k, v] of this.#owners) if (v.expires <= now) this.#owners.delete(k);
    if (this.#owners.size >= this.#maxEntries) return Promise.resolve(undefined);
    this.#owners.set(key, { owner, expires: now + Math.max(1, ttlSeconds) * 1000 });
    return Promise.resolve(owner);
  }

  #sweep(now: number): void {
    for (const [key, expires] of this.#seen) if (expires <= now) this.#seen.delete(key);
  }
}
