// The memory store (dev mode, `local` fallback) and the Redis store (one Lua script) must make the
// same decision for the same sequence of requests at the same instants: both stores are fed one
// clock, each sequence is replayed against both, and every decision is compared field by field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryRateLimitStore } from "../../src/gcra/memory-store.js";
import { createRedisClient } from "../../src/index.js";
import { RedisRateLimitStore } from "../../src/gcra/redis-store.js";
import type { RateLimitDecision } from "../../src/gcra/store.js";
import { REDIS_URL, uniquePrefix } from "../helpers/redis.js";

/** One step of a sequence: move the clock by `advanceMs` (negative: a clock step back), then decide. */
interface Step {
  readonly advanceMs: number;
  readonly limit: number;
  readonly windowMs: number;
  /** Several decisions at the same instant, in order. */
  readonly times?: number;
}

const MINUTE = 60_000;
// A realistic epoch with microseconds, as Redis `TIME` gives it.
const START_MS = 1_796_515_200_123.456;

let now = START_MS;
const clock = () => now;
const redis = new RedisRateLimitStore(createRedisClient(REDIS_URL, { name: "rate-limits", commandTimeoutMs: 2_000 }), { ownsClient: true, clock });
const prefix = uniquePrefix("agreement");
let sequences = 0;

beforeAll(async () => {
  expect(await redis.ready(5_000)).toBe(true);
});
afterAll(() => redis.close());

/** Replays `steps` against a fresh memory store and a fresh Redis key; returns both decision lists. */
async function replay(steps: readonly Step[]): Promise<{ memory: RateLimitDecision[]; redis: RateLimitDecision[] }> {
  now = START_MS;
  const memory = new MemoryRateLimitStore({ clock });
  const key = `${prefix}${String(sequences++)}`;
  const fromMemory: RateLimitDecision[] = [];
  const fromRedis: RateLimitDecision[] = [];
  for (const step of steps) {
    now += step.advanceMs;
    for (let i = 0; i < (step.times ?? 1); i++) {
      fromMemory.push(memory.takeNow(key, step.limit, step.windowMs));
      fromRedis.push(await redis.take(key, step.limit, step.windowMs));
    }
  }
  return { memory: fromMemory, redis: fromRedis };
}

const brief = (d: RateLimitDecision) => [d.allowed, d.remaining, d.resetMs, d.retryAfterMs];

describe("memory and Redis rate-limit stores decide alike", () => {
  it("limit 1: one request per window, the next exactly when the window has passed", async () => {
    const { memory, redis } = await replay([
      { advanceMs: 0, limit: 1, windowMs: MINUTE, times: 2 },
      { advanceMs: MINUTE - 1, limit: 1, windowMs: MINUTE },
      { advanceMs: 1, limit: 1, windowMs: MINUTE, times: 2 },
    ]);
    expect(redis).toEqual(memory);
    expect(memory.map(brief)).toEqual([
      [true, 0, MINUTE, 0],
      [false, 0, MINUTE, MINUTE],
      [false, 0, 1, 1],
      [true, 0, MINUTE, 0],
      [false, 0, MINUTE, MINUTE],
    ]);
  });

  it("a burst at the boundary: the full burst, then one request per emission interval, not one early", async () => {
    // 5 per minute: the emission interval is 12 s.
    const { memory, redis } = await replay([
      { advanceMs: 0, limit: 5, windowMs: MINUTE, times: 6 },
      { advanceMs: 11_999.99, limit: 5, windowMs: MINUTE },
      { advanceMs: 0.01, limit: 5, windowMs: MINUTE, times: 2 },
      { advanceMs: MINUTE, limit: 5, windowMs: MINUTE, times: 6 },
    ]);
    expect(redis).toEqual(memory);
    expect(memory.map((d) => d.allowed)).toEqual([
      ...[true, true, true, true, true, false],
      false,
      ...[true, false],
      ...[true, true, true, true, true, false],
    ]);
  });

  it("1e9 per minute: every request is admitted and counted, the remaining quota going down by one", async () => {
    const { memory, redis } = await replay([
      { advanceMs: 0, limit: 1_000_000_000, windowMs: MINUTE, times: 200 },
      { advanceMs: 0.001, limit: 1_000_000_000, windowMs: MINUTE, times: 100 },
    ]);
    expect(redis).toEqual(memory);
    expect(memory.every((d) => d.allowed)).toBe(true);
    // 300 requests within a microsecond: each takes one from the quota (the microsecond refills ~16).
    expect(memory.slice(0, 200).map((d) => d.remaining)).toEqual(Array.from({ length: 200 }, (_, i) => 999_999_999 - i));
    expect(memory[200]!.remaining).toBeGreaterThanOrEqual(999_999_800);
    expect(memory[299]!.remaining).toBe(memory[200]!.remaining - 99);
  });

  it("1e9 per second, a sub-nanosecond interval: still counted one by one", async () => {
    const { memory, redis } = await replay([{ advanceMs: 0, limit: 1_000_000_000, windowMs: 1_000, times: 50 }]);
    expect(redis).toEqual(memory);
    expect(memory.map((d) => d.remaining)).toEqual(Array.from({ length: 50 }, (_, i) => 999_999_999 - i));
  });

  it("a window the limit does not divide (7 per minute), refilled at its fractional interval", async () => {
    const interval = MINUTE / 7;
    const { memory, redis } = await replay([
      { advanceMs: 0, limit: 7, windowMs: MINUTE, times: 8 },
      { advanceMs: interval - 0.01, limit: 7, windowMs: MINUTE },
      { advanceMs: 0.01, limit: 7, windowMs: MINUTE, times: 2 },
    ]);
    expect(redis).toEqual(memory);
    expect(memory.map((d) => d.allowed)).toEqual([true, true, true, true, true, true, true, false, false, true, false]);
  });

  it("clock steps: back by 5 s (the quota is not refilled twice), then forward an hour (whole again)", async () => {
    const { memory, redis } = await replay([
      { advanceMs: 0, limit: 3, windowMs: 3_000, times: 3 },
      { advanceMs: 1_000, limit: 3, windowMs: 3_000 },
      { advanceMs: -5_000, limit: 3, windowMs: 3_000, times: 2 },
      { advanceMs: 3_600_000, limit: 3, windowMs: 3_000, times: 4 },
    ]);
    expect(redis).toEqual(memory);
    expect(memory.map((d) => d.allowed)).toEqual([true, true, true, true, false, false, true, true, true, false]);
    // After the step back, the next request fits 6 s later: 1 s of quota taken ahead plus the 5 s lost.
    expect(memory[4]!.retryAfterMs).toBe(6_000);
  });

  it("agree on 600 pseudo-random steps mixing limits, windows and clock moves", async () => {
    // A fixed linear congruential generator: the same sequence on every run.
    let seed = 0x2545f491;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
    const limits = [1, 2, 3, 7, 10, 100, 999, 1_000_000, 1_000_000_000];
    const windows = [1_000, 1_001, 60_000, 3_600_000, 86_400_000 * 31];
    const steps: Step[] = [];
    for (let i = 0; i < 60; i++) {
      // One key keeps its limit and window (as a route does); different sequences get different ones.
      const limit = pick(limits);
      const windowMs = pick(windows);
      for (let j = 0; j < 10; j++) {
        const advanceMs = pick([0, 0, 0.001, 0.5, 1, 17, windowMs / limit, windowMs / 3, -250, windowMs * 2]);
        steps.push({ advanceMs, limit, windowMs, times: 1 + Math.floor(next() * 3) });
      }
      const { memory, redis } = await replay(steps.splice(0));
      expect(redis).toEqual(memory);
    }
  });
});
