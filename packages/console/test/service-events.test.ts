// The auth server and the gateway, real and on port 0, write their security events to the stream
// with the stable names operators filter on; the console reads them as they are.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createGateway, parseGatewayConfig, type Gateway } from "@gatehouse/gateway";
import { createLogger, securityEventSchema, type SecurityEvent } from "@gatehouse/service-kit";
import { eventually, freePort, REDIS_URL, uniqueStream } from "./helpers/redis.js";

const ADMIN = randomBytes(24).toString("base64url");
const SECRETS = { BILLING_SECRET: "billing-secret-0123456789abcdef", ORDERS_SECRET: "orders-secret-0123456789abcdef", GATEHOUSE_ADMIN_TOKEN: ADMIN };
const silent = createLogger("test", { level: "silent" });

const stream = uniqueStream("services");
const redis = new Redis(REDIS_URL);
let auth: AuthServer;
let gateway: Gateway;
let backend: Server;
let issuer: string;
let gatewayUrl: string;

const events = { stream };
// Every replica of a deployment shares the key that MACs the registry entries it writes to Redis.
const macKeyDir = mkdtempSync(join(tmpdir(), "gatehouse-console-mac-"));
const registryMacKeyFile = join(macKeyDir, "registry-mac.key");
writeFileSync(registryMacKeyFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
const authConfig = () =>
  parseAuthServerConfig(
    {
        keys: { generate: "memory", registryMacKeyFile },
        admin: { enabled: true, onPublicPort: true },
        events,
        throttle: { maxFailures: 3, windowSeconds: 60 },
        services: {
          orders: { resource: "https://orders.internal", scopes: ["orders:read", "orders:write"], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } },
          billing: { auth: { method: "client_secret_basic", secretEnv: "BILLING_SECRET" }, allow: { orders: ["orders:read"] } },
        },
      },
      "registry.yaml",
    );
/** An auth-server replica: every one shares the Redis prefix (registry, replay cache, audiences) and the stream. */
const authReplica = () => createAuthServer(authConfig(), { logger: silent, env: SECRETS, redisUrl: REDIS_URL, redisKeyPrefix: `${stream}:auth:` });

beforeAll(async () => {
  auth = authReplica();
  ({ issuer } = await auth.listen(0));
  backend = createServer((_req, res) => res.end("ok"));
  backend.listen(0, "127.0.0.1");
  await new Promise((resolve) => backend.once("listening", resolve));
  const closedPort = await freePort();
  gateway = createGateway(
    parseGatewayConfig({
      issuer,
      events,
      // Limits of this run only: the shared Redis keeps other runs' counters.
      rateLimiting: { keyPrefix: `${stream}:rl:` },
      routes: [
        {
          name: "orders-read",
          pathPrefix: "/api/orders",
          methods: ["GET"],
          upstreams: [`http://127.0.0.1:${String((backend.address() as AddressInfo).port)}`],
          audience: "https://orders.internal",
          policy: { scopes: ["orders:read"] },
          rateLimit: { limit: 2, windowSeconds: 60 },
        },
        { name: "orders-write", pathPrefix: "/api/orders", methods: ["POST"], upstreams: ["http://127.0.0.1:9"], audience: "https://orders.internal", policy: { scopes: ["orders:write"] } },
        { name: "broken", pathPrefix: "/api/broken", upstreams: [`http://127.0.0.1:${String(closedPort)}`], audience: "https://orders.internal" },
      ],
    }),
    { logger: silent, redisUrl: REDIS_URL },
  );
  gatewayUrl = `http://127.0.0.1:${String((await gateway.listen(0)).port)}`;
  await gateway.ready();
});

afterAll(async () => {
  await gateway.close();
  await auth.close();
  backend.close();
  for await (const keys of redis.scanStream({ match: `${stream}*`, count: 1000 })) {
    if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
  }
  redis.disconnect();
  rmSync(macKeyDir, { recursive: true, force: true });
});

async function token(secret: string, at = issuer): Promise<Response> {
  return fetch(`${at}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`billing:${secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&resource=https%3A%2F%2Forders.internal&scope=orders%3Aread",
  });
}

async function streamEvents(): Promise<SecurityEvent[]> {
  const entries = await redis.xrange(stream, "-", "+");
  return entries.map(([, fields]) => securityEventSchema.parse(JSON.parse(fields[1] ?? "{}")));
}

describe("security events from the auth server and the gateway", () => {
  it("reports a service's first token for an audience once across auth-server replicas", async () => {
    const replica = authReplica();
    try {
      const { issuer: other } = await replica.listen(0);
      expect((await token(SECRETS.BILLING_SECRET)).status).toBe(200);
      expect((await token(SECRETS.BILLING_SECRET, other)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await streamEvents()).filter((e) => e.event === "auth.new_audience")).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });

  it("writes each decision as a named event of the shared schema", async () => {
    const good = (await (await token(SECRETS.BILLING_SECRET)).json()) as { access_token: string };
    const bearer = { authorization: `Bearer ${good.access_token}` };
    const statuses = [
      (await fetch(`${gatewayUrl}/api/orders/1`, { headers: bearer })).status,
      (await fetch(`${gatewayUrl}/api/orders/1`, { headers: bearer })).status,
      (await fetch(`${gatewayUrl}/api/orders/1`, { headers: bearer })).status,
      (await fetch(`${gatewayUrl}/api/orders/1`)).status,
      (await fetch(`${gatewayUrl}/api/orders`, { method: "POST", headers: bearer })).status,
      (await fetch(`${gatewayUrl}/api/broken`, { headers: bearer })).status,
    ];
    expect(statuses).toEqual([200, 200, 429, 401, 403, 502]);
    for (let i = 0; i < 4; i++) await (await token("wrong")).body?.cancel();
    const disabled = await fetch(`${issuer}/admin/services/billing/disable`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    expect(disabled.status).toBe(200);
    expect((await fetch(`${issuer}/admin/services`)).status).toBe(401);
    const want = [
      "auth.new_audience",
      "gateway.rate_limited",
      "gateway.unauthenticated",
      "gateway.forbidden",
      "gateway.upstream_failed",
      "auth.client_auth_failed",
      "auth.throttled",
      "admin.change",
      "admin.revocation",
      "admin.refused",
    ];
    const events = await eventually(async () => {
      const all = await streamEvents();
      return want.every((name) => all.some((e) => e.event === name)) ? all : undefined;
    }, 10_000, `events ${want.join(", ")}`);
    const one = (name: string) => events.find((e) => e.event === name);
    expect(one("auth.new_audience")).toMatchObject({ component: "auth-server", severity: "info", service: "billing", route: "https://orders.internal", detail: { scopes: ["orders:read"] } });
    expect(events.filter((e) => e.event === "auth.new_audience")).toHaveLength(1);
    expect(one("gateway.forbidden")).toMatchObject({ component: "gateway", service: "billing", route: "orders-write", source: "127.0.0.1", detail: { status: 403, error: "insufficient_scope", method: "POST" } });
    expect(one("gateway.unauthenticated")).toMatchObject({ route: "orders-read", source: "127.0.0.1", detail: { status: 401, error: "invalid_token" } });
    expect(one("gateway.rate_limited")).toMatchObject({ service: "billing", route: "orders-read", detail: { status: 429 } });
    expect(one("gateway.upstream_failed")).toMatchObject({ severity: "warning", service: "billing", route: "broken", detail: { status: 502 } });
    expect(events.filter((e) => e.event === "auth.client_auth_failed")).toHaveLength(3);
    expect(one("auth.client_auth_failed")).toMatchObject({ severity: "warning", service: "billing", source: "127.0.0.1", detail: { error: "invalid_client" } });
    expect(one("auth.throttled")).toMatchObject({ severity: "warning", source: "127.0.0.1", detail: { status: 429 } });
    expect(one("admin.change")).toMatchObject({ severity: "warning", service: "billing", detail: { action: "disabled", actor: "admin-credential" } });
    // Disabling a service revokes its outstanding tokens: a revocation event of its own.
    expect(one("admin.revocation")).toMatchObject({ severity: "warning", service: "billing", detail: { kind: "service", value: "billing" } });
    expect(one("admin.refused")).toMatchObject({ detail: { error: "admin_unauthorized", method: "GET", path: "/admin/services" } });
    // No event ever carries a credential.
    const text = JSON.stringify(events);
    for (const secret of [ADMIN, SECRETS.BILLING_SECRET, good.access_token]) expect(text).not.toContain(secret);
  });

  it("sends per-edge traffic counts with limit pressure every 5 s", async () => {
    // The gateway flushes every 5 s; wait for one that counted the requests above.
    const traffic = await eventually(async () => (await streamEvents()).find((e) => e.event === "gateway.traffic" && e.route === "orders-read" && e.service === "billing"), 10_000, "gateway.traffic");
    expect(traffic).toMatchObject({ component: "gateway", detail: { seconds: 5, requests: 3, denied: 0, limited: 1, failed: 0, pressure: 1 } });
  }, 15_000);
});
