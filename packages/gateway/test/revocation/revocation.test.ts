// Continuous access evaluation across real parts: two auth-server replicas on one Redis, two gateways and an
// SDK-verified backend, each subscribed to a replica's feed; tokens from the real token endpoint.
import * as oauth from "oauth4webapi";
import { createTokenSource, type TokenSource } from "@gatehouse/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAIN_HTTP } from "../helpers/estate.js";
import { ADMIN_TOKEN, ENV, INVENTORY, startEstate, startReplica, type Estate } from "./estate.js";

let estate: Estate;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  estate = await startEstate();
  const issuer = new URL(estate.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...PLAIN_HTTP }));
  for (const gateway of estate.gateways) expect(await gateway.gateway.ready(5_000)).toBe(true);
  expect(await estate.sdk.verifier.revocationReady(5_000)).toBe(true);
}, 30_000);

afterAll(async () => {
  await estate.close();
});

/** A fresh token (its own jti) from the token endpoint, through oauth4webapi. */
async function mint(clientId: "orders" | "billing", scope = "inventory:read"): Promise<string> {
  const client = { client_id: clientId };
  const secret = clientId === "orders" ? ENV.ORDERS_SECRET : ENV.OTHER_SECRET;
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(secret), { resource: INVENTORY, scope }, PLAIN_HTTP);
  return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
}

/** The status each enforcement point answers for a token: gateway 1, gateway 2, the SDK backend. */
async function statuses(token: string): Promise<number[]> {
  const headers = { authorization: `Bearer ${token}` };
  const urls = [...estate.gateways.map((g) => `${g.url}/api/inventory/items`), `${estate.sdk.url}/items`];
  return Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      return response.status;
    }),
  );
}

/** Polls until `check` holds, at most `withinMs`; returns how long it took. */
async function within(withinMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`not true within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const refusedEverywhere = (token: string) => async () => (await statuses(token)).every((status) => status === 401);

async function revoke(replicaUrl: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${replicaUrl}/admin/revocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("revocation by token, service and registry change", () => {
  it("refuses a revoked jti at both gateways and the SDK backend within a second; the service's other token still passes", async () => {
    const [revoked, other] = [await mint("orders"), await mint("orders")];
    expect(await statuses(revoked)).toEqual([200, 200, 200]);
    const answer = await revoke(estate.a.url, { jti: claims(revoked)["jti"], reason: "leaked in a log" });
    expect(answer.status).toBe(201);
    await within(1_000, refusedEverywhere(revoked));
    expect(await statuses(other)).toEqual([200, 200, 200]);
    const refusal = await fetch(`${estate.gateways[1].url}/api/inventory/items`, { headers: { authorization: `Bearer ${revoked}` } });
    expect(refusal.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await refusal.json()).toEqual({ error: "invalid_token", error_description: "the token has been revoked" });
  });

  it("refuses every token a service held before its revocation, everywhere, and accepts the one it gets next", async () => {
    const before = await mint("billing");
    const bystander = await mint("orders");
    expect(await statuses(before)).toEqual([200, 200, 200]);
    expect((await revoke(estate.b.url, { service: "billing" })).status).toBe(201);
    await within(1_000, refusedEverywhere(before));
    // The token endpoint holds billing's next request until its iat is past the revocation.
    const after = await mint("billing");
    expect(await statuses(after)).toEqual([200, 200, 200]);
    expect(await statuses(bystander)).toEqual([200, 200, 200]);
  });

  it("scanner: a registry attribute change refuses the service on a route requiring otherwise within a second; its SDK gets a new token by itself and its other calls go on", async () => {
    const orders: TokenSource = createTokenSource({
      issuer: estate.issuer,
      clientId: "orders",
      auth: { method: "client_secret_basic", clientSecret: ENV.ORDERS_SECRET },
    });
    try {
      const [g1] = estate.gateways;
      const call = async (path: string, scope: string) => {
        const response = await orders.authFetch(`${g1.url}${path}`, { resource: INVENTORY, scopes: [scope] });
        await response.arrayBuffer();
        return response.status;
      };
      expect(await call("/api/deploy/v2", "inventory:deploy")).toBe(200);
      expect(await call("/api/inventory/items", "inventory:read")).toBe(200);
      const requestsBefore = orders.stats.tokenRequests;

      const current = (await (await fetch(`${estate.b.url}/admin/services/orders`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as Record<string, unknown>;
      const { id: _id, ...definition } = current;
      const put = await fetch(`${estate.b.url}/admin/services/orders`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ ...definition, attributes: { vulnerabilities: "critical" } }),
      });
      expect(put.status).toBe(200);

      await within(1_000, async () => (await call("/api/deploy/v2", "inventory:deploy")) === 403);
      expect(await call("/api/inventory/items", "inventory:read")).toBe(200);
      // Both tokens were replaced: one refresh per (resource, scopes) after the 401, nothing more.
      expect(orders.stats.tokenRequests - requestsBefore).toBe(2);
      expect(estate.b.logs).toContainEqual(
        expect.objectContaining({ audit: true, event: "revocation.created", kind: "service", value: "orders", cause: "registry_change", actor: "admin-credential" }),
      );
    } finally {
      orders.close();
    }
  });
});

describe("no revocation lost", () => {
  it("a gateway whose replica restarts keeps its last snapshot meanwhile and resumes with Last-Event-ID, getting what was revoked while it was away", async () => {
    const kept = await mint("orders");
    const missed = await mint("orders");
    const [g1] = estate.gateways;
    const connectedBefore = g1.logs.filter((line) => line["event"] === "revocation.connected").length;
    await estate.a.server.close();
    expect((await revoke(estate.b.url, { jti: claims(missed)["jti"] })).status).toBe(201);
    // Gateway 1's feed is down: it still refuses what it knew and accepts the rest.
    const status = await fetch(`${g1.url}/api/inventory/items`, { headers: { authorization: `Bearer ${kept}` } });
    expect(status.status).toBe(200);
    estate.a = await startReplica(estate.issuer, estate.keysDir, estate.a.port, (await import("../helpers/redis.js")).REDIS_URL, estate.prefix);
    await within(5_000, refusedEverywhere(missed));
    expect(await statuses(kept)).toEqual([200, 200, 200]);
    const reconnections = g1.logs.filter((line) => line["event"] === "revocation.connected").slice(connectedBefore);
    expect(reconnections).toContainEqual(expect.objectContaining({ resumed: true }));
  }, 20_000);
});

describe("revocation by signing key", () => {
  it("refuses every token of a revoked key everywhere within a second", async () => {
    const token = await mint("orders");
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid: string };
    expect((await revoke(estate.a.url, { kid: header.kid })).status).toBe(201);
    await within(1_000, refusedEverywhere(token));
    expect(estate.a.logs).toContainEqual(expect.objectContaining({ kid: header.kid, msg: expect.stringContaining("still signs") as unknown }));
  });
});
