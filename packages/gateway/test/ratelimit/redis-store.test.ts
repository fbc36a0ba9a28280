import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient } from "@gatehouse/service-kit";
import { KEY_GRACE_MS } from "../../src/ratelimit/gcra.js";
import { RedisRateLimitStore } from "../../src/ratelimit/redis-store.js";
import { REDIS_URL, uniquePrefix } from "../helpers/redis.js";
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
