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
  it("grants reservations up to the limit within a window and reports when it resets", async () => {
    const counter = make();
    expect(await counter.reserve("ip:1", 2, 60)).toEqual({ granted: true, resetSeconds: 60 });
    expect((await counter.reserve("ip:1", 2, 60)).granted).toBe(true);
    const refused = await counter.reserve("ip:1", 2, 60);
    expect(refused.granted).toBe(false);
    expect(refused.resetSeconds).toBeGreaterThan(58);
    expect(refused.resetSeconds).toBeLessThanOrEqual(60);
  });

  it("takes a released reservation back", async () => {
    const counter = make();
    expect((await counter.reserve("ip:r", 1, 60)).granted).toBe(true);
    await counter.release("ip:r");
    expect((await counter.reserve("ip:r", 1, 60)).granted).toBe(true);
    expect((await counter.reserve("ip:r", 1, 60)).granted).toBe(false);
    await counter.release("never-reserved");
  });

  it("keeps keys apart", async () => {
    const counter = make();
    expect((await counter.reserve("client:a", 1, 60)).granted).toBe(true);
    expect((await counter.reserve("client:b", 1, 60)).granted).toBe(true);
  });

  it("starts a new window after the old one ends", async () => {
    const counter = make();
    await counter.reserve("ip:2", 1, 1);
    expect((await counter.reserve("ip:2", 1, 1)).granted).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await counter.reserve("ip:2", 1, 1)).granted).toBe(true);
  });

  it("grants exactly the limit to concurrent reservations", async () => {
    const counter = make();
    const answers = await Promise.all(Array.from({ length: 200 }, () => counter.reserve("ip:3", 7, 60)));
    expect(answers.filter((a) => a.granted)).toHaveLength(7);
  });
});
