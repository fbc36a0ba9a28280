import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryFailureCounter, RedisFailureCounter, type FailureCounter } from "../src/throttle/failure-counter.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await redis.quit();
});

const implementations: [string, () => FailureCounter][] = [
  ["memory", () => new MemoryFailureCounter()],
  ["redis", () => new RedisFailureCounter(redis, `test:auth:${randomUUID()}:`)],
];

describe.each(implementations)("failure counter conformance: %s", (_name, make) => {
  it("grants attempts while failures plus attempts in flight stay below the limit", async () => {
    const counter = make();
    expect(await counter.reserve("ip:1", 2)).toEqual({ state: "granted", resetSeconds: 0 });
    expect((await counter.reserve("ip:1", 2)).state).toBe("granted");
    expect((await counter.reserve("ip:1", 2)).state).toBe("busy");
    await counter.settle("ip:1", false, 60, true);
    expect((await counter.reserve("ip:1", 2)).state).toBe("granted");
  });

  it("counts failures in a window and reports when it resets", async () => {
    const counter = make();
    for (let i = 0; i < 2; i++) {
      expect((await counter.reserve("ip:f", 2)).state).toBe("granted");
      await counter.settle("ip:f", true, 60, true);
    }
    const throttled = await counter.reserve("ip:f", 2);
    expect(throttled.state).toBe("throttled");
    expect(throttled.resetSeconds).toBeGreaterThan(58);
    expect(throttled.resetSeconds).toBeLessThanOrEqual(60);
  });

  it("counts a failure that was never reserved", async () => {
    const counter = make();
    await counter.settle("ip:u", true, 60, false);
    expect((await counter.reserve("ip:u", 1)).state).toBe("throttled");
  });

  it("keeps keys apart", async () => {
    const counter = make();
    await counter.settle("client:a", true, 60, false);
    expect((await counter.reserve("client:b", 1)).state).toBe("granted");
  });

  it("starts a new window after the old one ends", async () => {
    const counter = make();
    await counter.settle("ip:2", true, 1, false);
    expect((await counter.reserve("ip:2", 1)).state).toBe("throttled");
    await new Promise((r) => setTimeout(r, 1100));
    expect((await counter.reserve("ip:2", 1)).state).toBe("granted");
  });

  it("grants exactly the limit to concurrent reservations", async () => {
    const counter = make();
    const answers = await Promise.all(Array.from({ length: 200 }, () => counter.reserve("ip:3", 7)));
    expect(answers.filter((a) => a.state === "granted")).toHaveLength(7);
    expect(answers.filter((a) => a.state === "busy")).toHaveLength(193);
  });
});
