import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { EVENT_FIELD, EVENT_NAMES, EventPublisher, securityEventSchema } from "../src/index.js";
import { REDIS_URL } from "./helpers/redis.js";

const redis = new Redis(REDIS_URL);
const streams: string[] = [];

function streamName(): string {
  const name = `gatehouse-test:events:${randomUUID()}`;
  streams.push(name);
  return name;
}

afterAll(async () => {
  if (streams.length > 0) await redis.del(...streams);
  redis.disconnect();
});

async function readAll(stream: string): Promise<unknown[]> {
  const entries = await redis.xrange(stream, "-", "+");
  return entries.map(([, fields]) => JSON.parse(fields[1] ?? "null") as unknown);
}

async function dropped(registry: Registry, reason: string): Promise<number> {
  const metric = await registry.getSingleMetric("gatehouse_events_dropped_total")?.get();
  return metric?.values.find((v) => v.labels["reason"] === reason)?.value ?? 0;
}

describe("EventPublisher", () => {
  it("appends events of the shared schema to the stream in batches, filling time, component and instance", async () => {
    const stream = streamName();
    const publisher = new EventPublisher({ component: "gateway", redisUrl: REDIS_URL, stream, instance: "gw-1", batchSize: 7 });
    await waitReady(publisher);
    for (let i = 0; i < 20; i++) {
      publisher.publish({ event: EVENT_NAMES.forbidden, severity: "warning", service: "orders", route: "inventory", source: "10.0.0.1", detail: { i } });
    }
    await publisher.flush();
    const events = await readAll(stream);
    expect(events).toHaveLength(20);
    for (const event of events) expect(securityEventSchema.safeParse(event).success).toBe(true);
    expect(events[3]).toMatchObject({ event: "gateway.forbidden", component: "gateway", instance: "gw-1", service: "orders", route: "inventory", detail: { i: 3 } });
    expect(publisher.stats).toEqual({ appended: 20, dropped: 0 });
    const [, fields] = (await redis.xrange(stream, "-", "+", "COUNT", 1))[0] ?? ["", []];
    expect(fields[0]).toBe(EVENT_FIELD);
    await publisher.close();
  });

  it("caps the stream near maxLength (XADD MAXLEN ~)", async () => {
    const stream = streamName();
    const publisher = new EventPublisher({ component: "gateway", redisUrl: REDIS_URL, stream, maxLength: 100 });
    await waitReady(publisher);
    for (let i = 0; i < 2_000; i++) publisher.publish({ event: EVENT_NAMES.unauthenticated, severity: "info", detail: {} });
    await publisher.flush();
    const length = await redis.xlen(stream);
    expect(length).toBeLessThan(400);
    expect(length).toBeGreaterThanOrEqual(100);
    await publisher.close();
  });

  it("drops and counts, without throwing or waiting, when Redis does not answer", async () => {
    const registry = new Registry();
    // Port 1 on loopback refuses connections.
    const publisher = new EventPublisher({ component: "auth-server", redisUrl: "redis://127.0.0.1:1", stream: streamName(), registry });
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) publisher.publish({ event: EVENT_NAMES.authFailed, severity: "warning", detail: {} });
    expect(performance.now() - started).toBeLessThan(500);
    await publisher.flush();
    expect(publisher.stats).toEqual({ appended: 0, dropped: 1_000 });
    expect(await dropped(registry, "redis_unavailable")).toBe(1_000);
    await publisher.close();
  });

  it("drops and counts what exceeds the bounded queue", async () => {
    const registry = new Registry();
    const stream = streamName();
    const publisher = new EventPublisher({ component: "gateway", redisUrl: REDIS_URL, stream, queueLimit: 50, registry });
    await waitReady(publisher);
    for (let i = 0; i < 80; i++) publisher.publish({ event: EVENT_NAMES.rateLimited, severity: "info", detail: {} });
    await publisher.flush();
    expect(await dropped(registry, "queue_full")).toBe(30);
    expect(await redis.xlen(stream)).toBe(50);
    await publisher.close();
  });

  it("cuts over-long text fields to the schema's limit", async () => {
    const stream = streamName();
    const publisher = new EventPublisher({ component: "gateway", redisUrl: REDIS_URL, stream });
    await waitReady(publisher);
    publisher.publish({ event: EVENT_NAMES.unauthenticated, severity: "info", source: "x".repeat(5_000), detail: {} });
    await publisher.flush();
    const [event] = await readAll(stream);
    expect(securityEventSchema.parse(event).source).toHaveLength(256);
    await publisher.close();
  });
});

/** The publisher connects in the background; a first event before that would be dropped. */
async function waitReady(publisher: EventPublisher): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!publisher.connected) {
    if (Date.now() > deadline) throw new Error("publisher did not connect");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
