import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryRegistryStore } from "../src/registry/memory-store.js";
import { RedisRegistryStore } from "../src/registry/redis-store.js";
import { RegistryMac } from "../src/registry/registry-mac.js";
import type { RegistryStore, ServiceRecord } from "../src/registry/store.js";
import { memoryLogger } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const connections: Redis[] = [];
const stores: RegistryStore[] = [];
// Every store of one test shares one MAC key, as every replica of a deployment does.
const mac = RegistryMac.fromConfig({ generate: "memory", dir: ".gatehouse", reloadIntervalSeconds: 0 }, memoryLogger().logger);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(connections.map((c) => c.quit()));
});

function redisStore(prefix: string): RegistryStore {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  const store = new RedisRegistryStore(redis, prefix, memoryLogger().logger, mac, 1000);
  stores.push(store);
  return store;
}

const service = (id: string, overrides: Partial<ServiceRecord> = {}): ServiceRecord => ({
  id,
  scopes: [],
  auth: { method: "client_secret_basic", secretEnv: "SECRET" },
  allow: {},
  attributes: {},
  disabled: false,
  ...overrides,
});

const implementations: [string, () => RegistryStore][] = [
  ["memory", () => new MemoryRegistryStore()],
  ["redis", () => redisStore(`test:auth:${randomUUID()}:`)],
];

describe.each(implementations)("registry store conformance: %s", (_name, make) => {
  let store: RegistryStore;
  beforeEach(() => {
    store = make();
  });

  it("creates a service once and refuses a second create with the same id", async () => {
    expect(await store.create(service("orders", { resource: "https://orders.internal" }))).toBe(true);
    expect(await store.create(service("orders", { attributes: { team: "other" } }))).toBe(false);
    expect(await store.get("orders")).toEqual(service("orders", { resource: "https://orders.internal" }));
  });

  it("finds a service by its resource and follows a changed resource", async () => {
    await store.create(service("orders", { resource: "https://orders.internal" }));
    expect((await store.findByResource("https://orders.internal"))?.id).toBe("orders");
    expect(await store.replace(service("orders", { resource: "https://orders-v2.internal" }))).toBe(true);
    expect(await store.findByResource("https://orders.internal")).toBeUndefined();
    expect((await store.findByResource("https://orders-v2.internal"))?.id).toBe("orders");
  });

  it("replaces only existing services", async () => {
    expect(await store.replace(service("ghost"))).toBe(false);
    expect(await store.get("ghost")).toBeUndefined();
  });

  it("lists services sorted by id", async () => {
    await store.create(service("zeta"));
    await store.create(service("alpha"));
    expect((await store.list()).map((s) => s.id)).toEqual(["alpha", "zeta"]);
  });

  it("keeps an admin edit when seeded again with an unchanged file, and lets a changed file win", async () => {
    await store.seed([service("orders", { attributes: { team: "file" } })]);
    await store.replace(service("orders", { attributes: { team: "admin" } }));
    await store.seed([service("orders", { attributes: { team: "file" } })]);
    expect((await store.get("orders"))?.attributes).toEqual({ team: "admin" });
    await store.seed([service("orders", { attributes: { team: "file v2" } })]);
    expect((await store.get("orders"))?.attributes).toEqual({ team: "file v2" });
  });

  it("answers ping", async () => {
    expect(await store.ping()).toBe(true);
  });
});

describe("redis registry store across processes", () => {
  it("shows a change made by one store to another store on the same prefix within a second", async () => {
    const prefix = `test:auth:${randomUUID()}:`;
    const writer = redisStore(prefix);
    const reader = redisStore(prefix);
    await writer.create(service("orders"));
    expect((await reader.get("orders"))?.disabled).toBe(false);
    await writer.replace(service("orders", { disabled: true }));
    const deadline = Date.now() + 1500;
    while ((await reader.get("orders"))?.disabled !== true && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await reader.get("orders"))?.disabled).toBe(true);
  });
});
