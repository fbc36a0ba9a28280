import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { startAuthServer } from "./helpers/estate.js";
import { startGateway, type RunningGateway } from "./helpers/gateway.js";
import { json, send } from "./helpers/http.js";
import { PrivateRedis } from "./helpers/redis.js";

const ORDERS = "https://orders.internal";

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let redis: PrivateRedis;
let closed: RunningGateway;
let local: RunningGateway;
let token: string;

const route = { name: "orders", pathPrefix: "/api/orders", audience: ORDERS, rateLimit: { limit: 4, windowSeconds: 60 } };

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders");
  redis = await PrivateRedis.start();
  const routes = [{ ...route, upstreams: [backend.url] }];
  closed = await startGateway({ issuer: auth.issuer, rateLimiting: { failureMode: "closed" }, routes }, { redis: redis.url });
  local = await startGateway({ issuer: auth.issuer, rateLimiting: { failureMode: "local", replicas: 2 }, routes }, { redis: redis.url });
  token = await auth.token("inventory", ORDERS, ["orders:read"]);
});

afterAll(async () => {
  await closed.close();
  await local.close();
  await redis.stop();
  await backend.close();
  await auth.close();
});

const call = (gw: RunningGateway) => send(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });

async function untilStatus(gw: RunningGateway, status: number): Promise<Awaited<ReturnType<typeof call>>> {
  const deadline = Date.now() + 10_000;
  let answer = await call(gw);
  while (answer.status !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await call(gw);
  }
  return answer;
}

describe("Redis stopped mid-test, then back", () => {
  it("limits through Redis while it is up", async () => {
    expect((await call(closed)).headers["ratelimit"]).toBe('"orders";r=3;t=15');
  });

  it("applies the configured failure mode while Redis is down, auth still enforced", async () => {
    await redis.stop();
    const refused = await call(closed);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(json(refused)).toEqual({ error: "rate_limit_unavailable", error_description: "rate limits cannot be checked right now; retry later" });

    // local: an in-process limit of 4 ÷ 2 replicas = 2.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(local)).status);
    expect(statuses).toEqual([200, 200, 429]);

    const anonymous = await send(`${local.url}/api/orders`);
    expect(anonymous.status).toBe(401);

    const metrics = (await send(`${closed.adminUrl}/metrics`)).body;
    expect(metrics).toMatch(/gatehouse_gateway_ratelimit_store_errors_total\{class="(unavailable|timeout)"\} [1-9]/);
    expect(closed.logs.some((l) => l["msg"] === "rate-limit store failed; failure mode closed")).toBe(true);
    const ready = await send(`${closed.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(json(ready)).toEqual({ status: "not_ready", checks: { rateLimitStore: "failing", verificationKeys: "ok", accepting: "ok" } });
  });

  it("recovers by itself once Redis is back, without a restart", async () => {
    await redis.start();
    const answer = await untilStatus(closed, 200);
    expect(answer.status).toBe(200);
    // The restarted Redis kept nothing, so the quota starts whole.
    expect(answer.headers["ratelimit"]).toBe('"orders";r=3;t=15');
    expect(closed.logs.some((l) => l["msg"] === "rate-limit store recovered")).toBe(true);
  });
});
