import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimiter, type FailureMode, type LimitPolicy, type LimitSource } from "../../src/ratelimit/limiter.js";
import { createRedisClient } from "@gatehouse/service-kit";
import { RedisRateLimitStore } from "@gatehouse/service-kit";
import type { StoreErrorClass } from "../../src/ratelimit/store.js";
import { captureLogs } from "../helpers/log-capture.js";
import { PrivateRedis, uniquePrefix } from "../helpers/redis.js";

const policy: LimitPolicy = { name: "orders", limit: 10, windowMs: 60_000 };

describe("rate limiter when Redis stops and comes back", () => {
  let redis: PrivateRedis;
  const limiters = new Map<FailureMode, RateLimiter>();
  const errors: StoreErrorClass[] = [];
  const decisions: { source: LimitSource; allowed: boolean }[] = [];
  const { logger, lines } = captureLogs();

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    for (const mode of ["local", "open", "closed"] as const) {
      const store = new RedisRateLimitStore(createRedisClient(redis.url, { name: "rate-limits", commandTimeoutMs: 1_000, logger }), { ownsClient: true });
      expect(await store.ready(5_000)).toBe(true);
      limiters.set(
        mode,
        new RateLimiter({
          store,
          failureMode: mode,
          replicas: 2,
          keyPrefix: uniquePrefix(mode),
          logger,
          observer: {
            onStoreError: (errorClass) => errors.push(errorClass),
            onDecision: (_route, allowed, source) => decisions.push({ source, allowed }),
          },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const limiter of limiters.values()) await limiter.close();
    await redis.stop();
  });

  const limiter = (mode: FailureMode) => limiters.get(mode)!;

  it("decides through Redis while it is up", async () => {
    const results = await Promise.all([1, 2, 3].map(() => limiter("local").check(policy, "svc:inventory")));
    expect(results.map((r) => [r.source, r.decision?.remaining])).toEqual([
      ["store", 9],
      ["store", 8],
      ["store", 7],
    ]);
  });

  it("applies each failure mode once Redis is stopped, counting and logging the failure", async () => {
    await redis.stop();
    // local: an in-process limiter at limit ÷ replicas = 5.
    const local = [];
    for (let i = 0; i < 7; i++) local.push(await limiter("local").check(policy, "svc:inventory"));
    expect(local.map((r) => [r.source, r.decision?.allowed])).toEqual([
      ["local", true],
      ["local", true],
      ["local", true],
      ["local", true],
      ["local", true],
      ["local", false],
      ["local", false],
    ]);
    expect(await limiter("open").check(policy, "svc:inventory")).toEqual({ decision: undefined, source: "open" });
    expect(await limiter("closed").check(policy, "svc:inventory")).toEqual({ decision: undefined, source: "closed" });
    expect(limiter("local").degraded).toBe(true);

    expect(errors.length).toBeGreaterThanOrEqual(9);
    expect(errors.every((e) => e === "unavailable" || e === "timeout")).toBe(true);
    const warnings = lines.filter((l) => typeof l["msg"] === "string" && l["msg"].startsWith("rate-limit store failed"));
    expect(warnings.map((l) => l["msg"]).sort()).toEqual([
      "rate-limit store failed; failure mode closed",
      "rate-limit store failed; failure mode local",
      "rate-limit store failed; failure mode open",
    ]);
    expect(decisions.at(-1)).toEqual({ source: "closed", allowed: false });
  });

  it("returns to Redis by itself once it is back, without a restart", async () => {
    await redis.start();
    const deadline = Date.now() + 10_000;
    let result = await limiter("local").check(policy, "svc:inventory");
    while (result.source !== "store" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await limiter("local").check(policy, "svc:inventory");
    }
    // The restarted Redis has no data (no persistence), so the quota starts whole.
    expect(result).toMatchObject({ source: "store", decision: { allowed: true, remaining: 9 } });
    expect(limiter("local").degraded).toBe(false);
    expect(lines.some((l) => l["msg"] === "rate-limit store recovered")).toBe(true);
  });
});
