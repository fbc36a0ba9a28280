import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { FeedRecord, RevocationRecord } from "../src/revocation/entry.js";
import { MemoryRevocationStore } from "../src/revocation/memory-store.js";
import { RedisRevocationStore } from "../src/revocation/redis-store.js";
import { compareIds, FEED_START, type RevocationStore } from "../src/revocation/store.js";
import { memoryLogger } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const connections: Redis[] = [];
const stores: RevocationStore[] = [];

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(connections.map((c) => c.quit()));
});

function redisStores(count: number): RevocationStore[] {
  const prefix = `test:auth:${randomUUID()}:`;
  return Array.from({ length: count }, () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    const store = new RedisRevocationStore(redis, prefix, memoryLogger().logger);
    stores.push(store);
    return store;
  });
}

const now = () => Math.floor(Date.now() / 1000);
const record = (kind: "jti" | "service" | "kid", value: string, until = now() + 300): RevocationRecord => ({
  revocation: { kind, value, revokedAt: now(), until, ...(kind === "service" ? { issuedBefore: now() + 1 } : {}) },
  actor: "tester",
  cause: "admin",
});

async function eventually(check: () => void): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const implementations: [string, () => RevocationStore][] = [
  ["memory", () => new MemoryRevocationStore()],
  ["redis", () => redisStores(1)[0] as RevocationStore],
];

describe.each(implementations)("revocation store conformance: %s", (_name, make) => {
  let store: RevocationStore;
  beforeEach(() => {
    store = make();
  });

  it("snapshots an empty store at the feed start, and resumes from it with nothing", async () => {
    expect(await store.snapshot(now())).toEqual({ id: FEED_START, records: [] });
    expect(await store.after(FEED_START)).toEqual([]);
  });

  it("keeps one active entry per kind and value, the newer replacing the older", async () => {
    await store.add(record("service", "orders", now() + 100), 300);
    await store.add(record("service", "orders", now() + 200), 300);
    await store.add(record("jti", "abc"), 300);
    const { records } = await store.snapshot(now());
    expect(records.map((r) => [r.revocation.kind, r.revocation.value, r.revocation.until]).sort()).toEqual([
      ["jti", "abc", now() + 300],
      ["service", "orders", now() + 200],
    ]);
  });

  it("drops entries once the last token they cover has expired", async () => {
    await store.add(record("jti", "old", now() - 1), 300);
    await store.add(record("jti", "live"), 300);
    expect((await store.snapshot(now())).records.map((r) => r.revocation.value)).toEqual(["live"]);
  });

  it("gives monotonic feed ids and resumes after any of them with exactly the later records", async () => {
    const added: FeedRecord[] = [];
    for (const value of ["a", "b", "c", "d"]) added.push(await store.add(record("jti", value), 300));
    for (let i = 1; i < added.length; i++) expect(compareIds(added[i - 1]?.id ?? "", added[i]?.id ?? "")).toBe(-1);
    expect((await store.after(added[1]?.id ?? ""))?.map((r) => r.revocation.value)).toEqual(["c", "d"]);
    expect(await store.after(added[3]?.id ?? "")).toEqual([]);
    expect((await store.snapshot(now())).id).toBe(added[3]?.id);
  });

  it("cannot resume from an id it never gave (newer than its newest, or before its oldest): the caller sends a snapshot", async () => {
    const first = await store.add(record("jti", "a"), 300);
    const [ms] = first.id.split("-");
    expect(await store.after(`${Number(ms) + 60_000}-0`)).toBeUndefined();
    expect(await store.after(FEED_START)).toBeUndefined();
  });

  it("tells a subscriber every record added after it subscribed, in order", async () => {
    const seen: string[] = [];
    const unsubscribe = store.subscribe((r) => seen.push(r.revocation.value));
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const value of ["x", "y", "z"]) await store.add(record("jti", value), 300);
    await eventually(() => expect(seen).toEqual(["x", "y", "z"]));
    unsubscribe();
  });
});

describe("redis revocation store across replicas", () => {
  it("delivers a record added by one replica to the subscribers of another, with the same id", async () => {
    const [a, b] = redisStores(2) as [RevocationStore, RevocationStore];
    const seen: FeedRecord[] = [];
    b.subscribe((r) => seen.push(r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const added = await a.add(record("service", "orders"), 300);
    await eventually(() => expect(seen.map((r) => r.id)).toEqual([added.id]));
    expect((await b.snapshot(now())).records.map((r) => r.revocation.value)).toEqual(["orders"]);
  });
});
