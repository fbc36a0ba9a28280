import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { startAuthServer } from "./helpers/estate.js";
import { startGateway, type RunningGateway } from "./helpers/gateway.js";
import { json, send } from "./helpers/http.js";

const ORDERS = "https://orders.internal";

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let gw: RunningGateway;
let inventory: string;
let billing: string;

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders");
  gw = await startGateway({
    issuer: auth.issuer,
    routes: [
      { name: "limited", pathPrefix: "/api/limited", upstreams: [backend.url], audience: ORDERS, rateLimit: { limit: 3, windowSeconds: 60 } },
      { name: "other", pathPrefix: "/api/other", upstreams: [backend.url], audience: ORDERS, rateLimit: { limit: 3, windowSeconds: 60 } },
      { name: "per-caller", pathPrefix: "/api/per-caller", upstreams: [backend.url], audience: ORDERS, rateLimit: { limit: 1, windowSeconds: 60 } },
      { name: "per-route", pathPrefix: "/api/per-route", upstreams: [backend.url], audience: ORDERS, rateLimit: { limit: 1, windowSeconds: 60 } },
      { name: "metered", pathPrefix: "/api/metered", upstreams: [backend.url], audience: ORDERS, rateLimit: { limit: 1, windowSeconds: 60 } },
      {
        name: "token",
        pathPrefix: "/auth/token",
        public: true,
        stripPrefix: true,
        upstreams: [`${auth.issuer}/token`],
        rateLimit: { limit: 2, windowSeconds: 60 },
      },
    ],
  });
  [inventory, billing] = await Promise.all([auth.token("inventory", ORDERS, ["orders:read"]), auth.token("billing", ORDERS, ["orders:read"])]);
});

afterAll(async () => {
  await gw.close();
  await backend.close();
  await auth.close();
});

const call = (path: string, token: string) => send(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe("rate limits over HTTP", () => {
  it("answers 429 exactly at the limit, with RateLimit-Policy, RateLimit and Retry-After", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call("/api/limited", inventory));
    expect(answers.map((a) => [a.status, a.headers["ratelimit-policy"], a.headers["ratelimit"]])).toEqual([
      [200, '"limited";q=3;w=60', '"limited";r=2;t=20'],
      [200, '"limited";q=3;w=60', '"limited";r=1;t=40'],
      [200, '"limited";q=3;w=60', '"limited";r=0;t=60'],
      [429, '"limited";q=3;w=60', '"limited";r=0;t=60'],
    ]);
    const limited = answers[3]!;
    expect(limited.headers["retry-after"]).toBe("20");
    expect(limited.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(json(limited)).toEqual({ error: "rate_limited", error_description: "the rate limit of this route is exhausted; retry later" });
    expect(backend.seen.filter((s) => s.url === "/api/limited")).toHaveLength(3);
  });

  it("keeps a separate quota per calling service and per route", async () => {
    // inventory exhausts its quota on per-caller; billing there, and inventory on per-route, are untouched.
    expect((await call("/api/per-caller", inventory)).status).toBe(200);
    expect((await call("/api/per-caller", inventory)).status).toBe(429);
    expect((await call("/api/per-caller", billing)).headers["ratelimit"]).toBe('"per-caller";r=0;t=60');
    expect((await call("/api/per-caller", billing)).status).toBe(429);
    expect((await call("/api/per-route", inventory)).headers["ratelimit"]).toBe('"per-route";r=0;t=60');
  });

  it("publishes the token endpoint through a public route, limited per client IP", async () => {
    const endpoint = `${gw.url}/auth/token`;
    const token = await auth.token("inventory", ORDERS, ["orders:read"], endpoint);
    // The token obtained through the gateway works through the gateway.
    expect((await call("/api/other", token)).status).toBe(200);
    await auth.token("billing", ORDERS, ["orders:read"], endpoint);
    const third = await send(endpoint, { method: "POST", body: "grant_type=client_credentials", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(third.status).toBe(429);
    expect(third.headers["ratelimit-policy"]).toBe('"token";q=2;w=60');
    expect(third.headers["retry-after"]).toBe("30");
  });

  it("counts decisions in the metrics", async () => {
    // A route of its own: one admitted and one limited request, whatever the other tests did.
    expect((await call("/api/metered", inventory)).status).toBe(200);
    expect((await call("/api/metered", inventory)).status).toBe(429);
    const metrics = (await send(`${gw.adminUrl}/metrics`)).body;
    expect(metrics).toContain('gatehouse_gateway_ratelimit_decisions_total{route="metered",outcome="allowed",source="store"} 1');
    expect(metrics).toContain('gatehouse_gateway_ratelimit_decisions_total{route="metered",outcome="limited",source="store"} 1');
    expect(metrics).toContain('gatehouse_gateway_requests_total{route="metered",status="429",decision="rate_limited"} 1');
  });
});
