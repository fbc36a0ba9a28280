import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "../../src/index.js";
import { KEY_GRACE_MS } from "../../src/gcra/gcra.js";
import { MAX_BATCH, RedisRateLimitStore } from "../../src/gcra/redis-store.js";
import { PrivateRedis, REDIS_URL, uniquePrefix } from "../helpers/redis.js";
import { describeRateLimitStore } from "./store-conformance.js";

describeRateLimitStore("redis", () => new RedisRateLimitStore(createRedisClient(REDIS_URL, { name: "rate-limits", commandTimeoutMs: 2_000 }), { ownsClient: true }));

describe("redis rate-limit store", () => {
  const first = new RedisRateLimitStore(createRedisClient(REDIS_URL, { name: "rate-limits", commandTimeoutMs: 2_000 }), { ownsClient: true });
  const second = new RedisRateLimitStore(createRedisClient(REDIS_URL, { name: "rate-limits", commandTimeoutMs: 2_000 }), { ownsClient: true });
  const inspect = new Redis(REDIS_URL);
  beforeAll(async () => {
    expect(await first.ready(5_000)).toBe(true);
    expect(await second.ready(5_000)).toBe(true);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close(), inspect.quit()]);
  });

  it("stays exact when two limiter instances share one Redis", async () => {
    const key = `${uniquePrefix("shared")}k`;
    const decisions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? first : second).take(key, 37, 60_000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(37);
  });

  it("stores one key per caller that expires once the quota is whole again (plus the grace)", async () => {
    const key = `${uniquePrefix("ttl")}k`;
    await first.take(key, 10, 60_000);
    const ttl = await inspect.pttl(key);
    expect(ttl).toBeGreaterThan(5_000 + KEY_GRACE_MS);
    expect(ttl).toBeLessThanOrEqual(6_000 + KEY_GRACE_MS);
  });

  it("recovers by itself when the script was flushed from Redis", async () => {
    const key = `${uniquePrefix("noscript")}k`;
    await first.take(key, 10, 60_000);
    await inspect.script("FLUSH");
    expect(await first.take(key, 10, 60_000)).toMatchObject({ allowed: true, remaining: 8 });
  });
});

describe("redis rate-limit store batches", () => {
  let redis: PrivateRedis;
  let store: RedisRateLimitStore;
  let inspect: Redis;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    store = new RedisRateLimitStore(createRedisClient(redis.url, { name: "rate-limits", commandTimeoutMs: 2_000 }), { ownsClient: true });
    inspect = new Redis(redis.url);
    expect(await store.ready(5_000)).toBe(true);
  });
  afterAll(async () => {
    await Promise.all([store.close(), inspect.quit()]);
    await redis.stop();
  });

  /** Script calls Redis has run so far (`INFO commandstats`), whichever way they were sent. */
  async function scriptCalls(): Promise<number> {
    const info = await inspect.info("commandstats");
    let calls = 0;
    for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
    return calls;
  }

  it("decides concurrent requests in one script call, each in arrival order", async () => {
    const key = `${uniquePrefix("batch")}k`;
    const before = await scriptCalls();
    const decisions = await Promise.all(Array.from({ length: 50 }, () => store.take(key, 40, 60_000)));
    // The first call may load the script first (EVALSHA refused, then EVAL): at most two calls.
    expect((await scriptCalls()) - before).toBeLessThanOrEqual(2);
    expect(decisions.map((d) => d.remaining)).toEqual([...Array.from({ length: 40 }, (_, i) => 39 - i), ...Array.from({ length: 10 }, () => 0)]);
    expect(decisions.map((d) => d.allowed)).toEqual([...Array.from({ length: 40 }, () => true), ...Array.from({ length: 10 }, () => false)]);
  });

  it("splits a larger batch, and every key keeps its own count", async () => {
    const prefix = uniquePrefix("split");
    const count = MAX_BATCH * 2 + 10;
    const before = await scriptCalls();
    const decisions = await Promise.all(Array.from({ length: count }, (_, i) => store.take(`${prefix}${String(i % 7)}`, 100, 60_000)));
    expect((await scriptCalls()) - before).toBe(3);
    const byKey = new Map<number, number[]>();
    decisions.forEach((decision, i) => byKey.set(i % 7, [...(byKey.get(i % 7) ?? []), decision.remaining]));
    for (const remaining of byKey.values()) expect(remaining).toEqual(remaining.map((_, i) => 99 - i));
  });

  it("fails every decision of a batch that Redis refused, and decides the next batch again", async () => {
    const key = `${uniquePrefix("refused")}k`;
    await inspect.set(key, "x");
    await inspect.config("SET", "maxmemory", "1");
    await inspect.config("SET", "maxmemory-policy", "noeviction");
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => store.take(key, 10, 60_000)));
      expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 5 }, () => "rejected"));
    } finally {
      await inspect.config("SET", "maxmemory", "0");
    }
    expect(await store.take(key, 10, 60_000)).toMatchObject({ allowed: true, remaining: 9 });
  });
});
