import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { startAuthServer } from "./helpers/estate.js";
import { startGateway, type RunningGateway } from "./helpers/gateway.js";
import { json, parseRaw, rawRequest, send, type Answer } from "./helpers/http.js";

const ORDERS = "https://orders.internal";

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let gw: RunningGateway;
let inventoryToken: string;
let billingToken: string;
let paymentsToken: string;

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders");
  const upstreams = [backend.url];
  gw = await startGateway({
    issuer: auth.issuer,
    routes: [
      { name: "orders-read", pathPrefix: "/api/orders", methods: ["GET"], upstreams, audience: ORDERS, policy: { scopes: ["orders:read"] } },
      { name: "orders-write", pathPrefix: "/api/orders", methods: ["POST"], upstreams, audience: ORDERS, policy: { scopes: ["orders:write"] } },
      { name: "orders-billing", pathPrefix: "/api/billing-only", upstreams, audience: ORDERS, policy: { services: ["billing"] } },
      { name: "orders-prod", pathPrefix: "/api/prod", upstreams, audience: ORDERS, policy: { attributes: { environment: "prod" } } },
    ],
  });
  [inventoryToken, billingToken, paymentsToken] = await Promise.all([
    auth.token("inventory", ORDERS, ["orders:read", "orders:write"]),
    auth.token("billing", ORDERS, ["orders:read"]),
    auth.token("inventory", "https://payments.internal", ["payments:read"]),
  ]);
});

afterAll(async () => {
  await gw.close();
  await backend.close();
  await auth.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Sends through the gateway and checks the backend saw nothing. */
async function denied(path: string, options: Parameters<typeof send>[1] = {}): Promise<Answer> {
  backend.seen.length = 0;
  const answer = await send(`${gw.url}${path}`, options);
  expect(backend.seen).toEqual([]);
  expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(answer.headers["cache-control"]).toBe("no-store");
  return answer;
}

describe("authenticated calls", () => {
  it("reach the backend with the canonical path, the bearer and the verified identity", async () => {
    backend.seen.length = 0;
    const answer = await send(`${gw.url}/api/orders/%6F-1?expand=lines`, {
      headers: { ...bearer(inventoryToken), "x-gatehouse-service": "billing", "x-gatehouse-scopes": "orders:admin", connection: "x-gatehouse-service" },
    });
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ backend: "orders" });
    expect(backend.seen).toHaveLength(1);
    const seen = backend.seen[0]!;
    expect(seen.url).toBe("/api/orders/o-1?expand=lines");
    expect(seen.headers).toMatchObject({
      authorization: `Bearer ${inventoryToken}`,
      "x-gatehouse-service": "inventory",
      "x-gatehouse-scopes": "orders:read orders:write",
      "x-request-id": answer.headers["x-request-id"],
      "x-forwarded-for": "127.0.0.1",
    });
    // Exactly one of each identity header: the client's copies were dropped, not kept beside ours.
    expect(seen.rawHeaders.filter((h) => h.toLowerCase() === "x-gatehouse-service")).toHaveLength(1);
  });

  it("writes one access-log line per request, without the token", async () => {
    const answer = await send(`${gw.url}/api/orders/7`, {
      headers: { ...bearer(inventoryToken), traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    const line = gw.logs.find((l) => l["msg"] === "request" && l["requestId"] === answer.headers["x-request-id"]);
    expect(line).toMatchObject({
      method: "GET",
      path: "/api/orders/7",
      route: "orders-read",
      service: "inventory",
      status: 200,
      decision: "forwarded",
      client: "127.0.0.1",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    expect(typeof line?.["latencyMs"]).toBe("number");
    expect(typeof line?.["upstreamMs"]).toBe("number");
    expect(JSON.stringify(gw.logs)).not.toContain(inventoryToken);
  });

  it("answers a token seen before from the verified-token cache, on every request after the first", async () => {
    // A token no other test has used: the first request verifies its signature, each later one is a cache hit.
    const fresh = await auth.token("billing", ORDERS, ["orders:read"]);
    const cacheCounts = async () => {
      const body = (await send(`${gw.adminUrl}/metrics`)).body;
      const count = (result: string) => Number(new RegExp(`gatehouse_gateway_token_cache_total\\{result="${result}"\\} (\\d+)`).exec(body)?.[1]);
      return { hit: count("hit"), miss: count("miss") };
    };
    const perRequest: { hit: number; miss: number }[] = [];
    for (let i = 0; i < 4; i++) {
      const before = await cacheCounts();
      expect((await send(`${gw.url}/api/orders`, { headers: bearer(fresh) })).status).toBe(200);
      const after = await cacheCounts();
      perRequest.push({ hit: after.hit - before.hit, miss: after.miss - before.miss });
    }
    expect(perRequest).toEqual([
      { hit: 0, miss: 1 },
      { hit: 1, miss: 0 },
      { hit: 1, miss: 0 },
      { hit: 1, miss: 0 },
    ]);
  });
});

describe("denials: the backend receives nothing", () => {
  it("no token → 401 with a bare Bearer challenge (RFC 6750 §3.1)", async () => {
    const answer = await denied("/api/orders");
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="gatehouse"');
    expect(json(answer)).toEqual({ error: "invalid_token", error_description: "a Bearer access token is required" });
  });

  it("another scheme (Basic) counts as no token → 401", async () => {
    const answer = await denied("/api/orders", { headers: { authorization: "Basic aW52ZW50b3J5OnNlY3JldA==" } });
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="gatehouse"');
  });

  it.each([
    ["garbage", () => "not-a-jwt"],
    ["a real token with its payload altered", () => {
      const [h, p, s] = inventoryToken.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
      return `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: "orders:read orders:write orders:admin" })).toString("base64url")}.${s}`;
    }],
    ["a token for another audience", () => paymentsToken],
  ])("a bad token (%s) → 401 invalid_token", async (_name, token) => {
    const answer = await denied("/api/orders", { headers: bearer(token()) });
    expect(answer.status).toBe(401);
    const body = json(answer) as { error: string; error_description: string };
    expect(body.error).toBe("invalid_token");
    expect(answer.headers["www-authenticate"]).toBe(`Bearer realm="gatehouse", error="invalid_token", error_description="${body.error_description}"`);
  });

  it("a token signed by a key the issuer never published → 401 invalid_token", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ client_id: "inventory", scope: "orders:read", jti: "forged-1" })
      .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "attacker" })
      .setIssuer(auth.issuer)
      .setSubject("inventory")
      .setAudience(ORDERS)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const answer = await denied("/api/orders", { headers: bearer(forged) });
    expect(answer.status).toBe(401);
    expect((json(answer) as { error: string }).error).toBe("invalid_token");
  });

  it("a missing scope → 403 insufficient_scope naming the required scope", async () => {
    const answer = await denied("/api/orders", { method: "POST", headers: bearer(billingToken), body: "{}" });
    expect(answer.status).toBe(403);
    expect(json(answer)).toEqual({ error: "insufficient_scope", error_description: "the token lacks the scope orders:write" });
    expect(answer.headers["www-authenticate"]).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", error_description="the token lacks the scope orders:write", scope="orders:write"',
    );
  });

  it("a service the route does not allow → 403 insufficient_scope", async () => {
    const answer = await denied("/api/billing-only/x", { headers: bearer(inventoryToken) });
    expect(answer.status).toBe(403);
    expect(json(answer)).toEqual({ error: "insufficient_scope", error_description: "the service inventory may not call this resource" });
    expect(answer.headers["www-authenticate"]).toBe(
      'Bearer realm="gatehouse", error="insufficient_scope", error_description="the service inventory may not call this resource"',
    );
  });

  it("an attribute with the wrong value → 403 insufficient_scope", async () => {
    const answer = await denied("/api/prod", { headers: bearer(billingToken) });
    expect(answer.status).toBe(403);
    expect(json(answer)).toEqual({
      error: "insufficient_scope",
      error_description: "the caller's attribute environment does not have the required value",
    });
    expect((await send(`${gw.url}/api/prod`, { headers: bearer(inventoryToken) })).status).toBe(200);
  });

  it("a token in the query string → 400 invalid_request, even with a valid header", async () => {
    const answer = await denied(`/api/orders?access_token=${inventoryToken}`, { headers: bearer(inventoryToken) });
    expect(answer.status).toBe(400);
    expect(json(answer)).toEqual({
      error: "invalid_request",
      error_description: "access tokens are accepted only in the Authorization header, not in the query string",
    });
    expect(answer.headers["www-authenticate"]).toBe(
      'Bearer realm="gatehouse", error="invalid_request", error_description="access tokens are accepted only in the Authorization header, not in the query string"',
    );
  });

  it("two Authorization headers → 400 invalid_request", async () => {
    backend.seen.length = 0;
    const raw = await rawRequest(
      gw.port,
      `GET /api/orders HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${billingToken}\r\nAuthorization: Bearer ${inventoryToken}\r\nConnection: close\r\n\r\n`,
    );
    const answer = parseRaw(raw);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "invalid_request", error_description: "the request has more than one Authorization header" });
    expect(answer.headers["www-authenticate"]).toBe(
      'Bearer realm="gatehouse", error="invalid_request", error_description="the request has more than one Authorization header"',
    );
    expect(backend.seen).toEqual([]);
  });

  it("a malformed Bearer value → 400 invalid_request", async () => {
    const answer = await denied("/api/orders", { headers: { authorization: "Bearer two words" } });
    expect(answer.status).toBe(400);
    expect((json(answer) as { error: string }).error).toBe("invalid_request");
  });

  it("Bearer without a value → 400 invalid_request, not a token named Bearer", async () => {
    const answer = await denied("/api/orders", { headers: { authorization: "Bearer" } });
    expect({ status: answer.status, body: json(answer) }).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "the Authorization header is not a valid Bearer token" },
    });
  });
});

describe("when the auth server's keys cannot be loaded", () => {
  it("answers 503 verification_unavailable, and the backend receives nothing", async () => {
    const lonely = await startGateway({
      issuer: "http://127.0.0.1:9",
      routes: [{ name: "orders", pathPrefix: "/api/orders", upstreams: [backend.url], audience: ORDERS }],
    });
    try {
      backend.seen.length = 0;
      const answer = await send(`${lonely.url}/api/orders`, { headers: bearer(inventoryToken) });
      expect(answer.status).toBe(503);
      expect(answer.headers["retry-after"]).toBe("1");
      expect(json(answer)).toEqual({ error: "verification_unavailable", error_description: "tokens cannot be verified right now; retry later" });
      expect(backend.seen).toEqual([]);
      const ready = await send(`${lonely.adminUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(json(ready)).toEqual({ status: "not_ready", checks: { rateLimitStore: "ok", verificationKeys: "failing", accepting: "ok" } });
    } finally {
      await lonely.close();
    }
  });
});
