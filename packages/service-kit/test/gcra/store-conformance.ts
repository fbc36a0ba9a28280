import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RateLimitStore } from "../../src/gcra/store.js";
import { uniquePrefix } from "../helpers/redis.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one behaviour every rate-limit store must have (Kong-style shared access spec): run
 * against the memory store and against real Redis.
 */
export function describeRateLimitStore(name: string, open: () => RateLimitStore): void {
  describe(`${name} rate-limit store (conformance)`, () => {
    const store = open();
    const prefix = uniquePrefix(name);
    let n = 0;
    const key = () => `${prefix}${String(n++)}`;
    beforeAll(async () => {
      expect(await store.ready(5_000)).toBe(true);
    });
    afterAll(() => store.close());

    it("allows a burst of exactly the limit, counting the remaining quota down, then denies", async () => {
      const k = key();
      const decisions = [];
      for (let i = 0; i < 6; i++) decisions.push(await store.take(k, 5, 60_000));
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 4],
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
      const denied = decisions[5]!;
      // One request fits again after one emission interval (60 s / 5 = 12 s).
      expect(denied.retryAfterMs).toBeGreaterThan(11_000);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(12_000);
      // The whole quota is back after the full window.
      expect(denied.resetMs).toBeGreaterThan(59_000);
      expect(denied.resetMs).toBeLessThanOrEqual(60_000);
    });

    it("reports when an allowed request's quota is whole again", async () => {
      const decision = await store.take(key(), 5, 60_000);
      expect(decision).toMatchObject({ allowed: true, remaining: 4, retryAfterMs: 0 });
      expect(decision.resetMs).toBeGreaterThan(11_000);
      expect(decision.resetMs).toBeLessThanOrEqual(12_000);
    });

    it("decides a limit whose emission interval is far below a millisecond (1e9 per minute)", async () => {
      const k = key();
      const first = await store.take(k, 1_000_000_000, 60_000);
      const second = await store.take(k, 1_000_000_000, 60_000);
      expect(first).toEqual({ allowed: true, remaining: 999_999_999, resetMs: 1, retryAfterMs: 0 });
      // Real time passes between the two (every 60 ns gives one request back), so only
      // a frozen clock shows the count going down: see store-agreement.test.ts.
      expect(second).toMatchObject({ allowed: true, retryAfterMs: 0 });
      expect(second.remaining).toBeGreaterThanOrEqual(999_999_998);
    });

    it("keeps keys independent", async () => {
      const a = key();
      const b = key();
      expect((await store.take(a, 1, 60_000)).allowed).toBe(true);
      expect((await store.take(a, 1, 60_000)).allowed).toBe(false);
      expect((await store.take(b, 1, 60_000)).allowed).toBe(true);
    });

    it("is exact under concurrent decisions on one key", async () => {
      const k = key();
      const decisions = await Promise.all(Array.from({ length: 50 }, () => store.take(k, 20, 60_000)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    });

    it("allows exactly the limit when the window does not divide evenly", async () => {
      const k = key();
      // 60 s / 7 is not a whole number of milliseconds.
      const decisions = await Promise.all(Array.from({ length: 10 }, () => store.take(k, 7, 60_000)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
    });

    it("refills evenly, one request per emission interval, never a boundary burst", async () => {
      const k = key();
      // limit 4 per 4 s: one request comes back every second.
      for (let i = 0; i < 4; i++) expect((await store.take(k, 4, 4_000)).allowed).toBe(true);
      expect((await store.take(k, 4, 4_000)).allowed).toBe(false);
      const started = Date.now();
      await sleep(1_100);
      const after = await Promise.all(Array.from({ length: 4 }, () => store.take(k, 4, 4_000)));
      // Between 1 s and 2 s later exactly one fits (the margin absorbs a loaded machine's timer drift).
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(after.filter((d) => d.allowed)).toHaveLength(1);
    });
  });
}
