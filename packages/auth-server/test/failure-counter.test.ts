import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { MemoryFailureCounter, RedisFailureCounter, type FailureCounter } from "../src/throttle/failure-counter.js";

const redis = new Redis(process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await redis.quit();
});

const implementations: [string, () => FailureCounter][] = [
  ["memory", () => new MemoryFailureCounter()],
  ["redis", () => new RedisFailureCounter(redis, `test:auth:${randomUUID()}:`)],
];

describe.each(implementations)("failure counter conformance: %s", (_name, make) => {
  it("counts hits within a window and reports when it resets", async () => {
    const counter = make();
    expect(await counter.peek("ip:1")).toEqual({ count: 0, resetSeconds: 0 });
    expect(await counter.hit("ip:1", 60)).toEqual({ count: 1, resetSeconds: 60 });
    expect((await counter.hit("ip:1", 60)).count).toBe(2);
    const state = await counter.peek("ip:1");
    expect(state.count).toBe(2);
    expect(state.resetSeconds).toBeGreaterThan(58);
    expect(state.resetSeconds).toBeLessThanOrEqual(60);
  });

  it("keeps keys apart", async () => {
    const counter = make();
    await counter.hit("client:a", 60);
    expect((await counter.peek("client:b")).count).toBe(0);
  });

  it("starts a new window after the old one ends", async () => {
    const counter = make();
    await counter.hit("ip:2", 1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await counter.peek("ip:2")).count).toBe(0);
    expect((await counter.hit("ip:2", 1)).count).toBe(1);
  });

  it("counts concurrent hits exactly", async () => {
    const counter = make();
    await Promise.all(Array.from({ length: 25 }, () => counter.hit("ip:3", 60)));
    expect((await counter.peek("ip:3")).count).toBe(25);
  });
});
