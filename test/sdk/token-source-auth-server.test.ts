// The token source against the real Gatehouse auth server (behind a counting proxy): caching, single-flight,
// refresh-ahead, error typing; and a token it issues verified by createVerifier.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource, createVerifier, ERROR_BRAND, type TokenSource } from "@gatehouse/sdk";
import { BILLING_SECRET, INVENTORY, SHORT_LIVED, startRealAuthServer, type RealAuthServer } from "./helpers/auth-server.js";

let auth: RealAuthServer;
const sources: TokenSource[] = [];

beforeAll(async () => {
  auth = await startRealAuthServer({ ledgerTtlSeconds: 4 });
});

afterAll(async () => {
  await auth.close();
});

afterEach(() => {
  auth.proxy.setTokenDelayMs(0);
  for (const source of sources.splice(0)) source.close();
});

function ordersSource(options: { refreshAheadSec?: number; minValiditySec?: number } = {}): TokenSource {
  const source = createTokenSource({
    issuer: auth.issuer,
    clientId: "orders",
    auth: { method: "private_key_jwt", privateJwk: auth.ordersJwk },
    ...options,
  });
  sources.push(source);
  return source;
}

describe("token source with the auth server", () => {
  it("caches a token per (resource, sorted scopes) and asks again for other scopes", async () => {
    const source = ordersSource();
    const before = auth.proxy.tokenRequests;
    const first = await source.getToken({ resource: INVENTORY, scopes: ["inventory:read", "inventory:reserve"] });
    const again = await source.getToken({ resource: INVENTORY, scopes: ["inventory:reserve", "inventory:read"] });
    expect(again).toBe(first);
    expect(auth.proxy.tokenRequests - before).toBe(1);
    const narrower = await source.getToken({ resource: INVENTORY, scopes: ["inventory:read"] });
    expect(narrower).not.toBe(first);
    expect(auth.proxy.tokenRequests - before).toBe(2);
    expect(source.stats).toMatchObject({ tokenRequests: 2, cacheHits: 1, failures: 0 });
  });

  it("makes exactly one token request for 1,000 concurrent getToken calls", async () => {
    const source = ordersSource();
    const before = auth.proxy.tokenRequests;
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => source.getToken({ resource: INVENTORY, scopes: ["inventory:read"] })),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(auth.proxy.tokenRequests - before).toBe(1);
  });

  it("refreshes ahead of expiry in the background while callers keep the valid token", async () => {
    // ledger tokens live 4 s: refresh ahead from 2 s (half the lifetime), unusable from 3 s (a quarter before expiry).
    const source = ordersSource({ refreshAheadSec: 60, minValiditySec: 10 });
    const request = { resource: SHORT_LIVED, scopes: ["ledger:write"] };
    const before = auth.proxy.tokenRequests;
    const first = await source.getToken(request);
    await sleep(2200);
    auth.proxy.setTokenDelayMs(600);
    // Due for refresh: answered with the current token, and a refresh starts in the background.
    await expect(source.getToken(request)).resolves.toBe(first);
    expect(source.stats.refreshesAhead).toBe(1);
    await expect.poll(() => auth.proxy.tokenRequestsInFlight).toBe(1);
    // While the refresh is held at the server, callers still get the current token without waiting for it.
    await expect(source.getToken(request)).resolves.toBe(first);
    expect(auth.proxy.tokenRequestsInFlight).toBe(1);
    expect(source.stats.refreshesAhead).toBe(1);
    await expect.poll(() => source.getToken(request), { timeout: 5000, interval: 50 }).not.toBe(first);
    expect(auth.proxy.tokenRequests - before).toBe(2);
  });

  it("waits for a new token once the cached one is too close to expiry", async () => {
    const source = ordersSource({ refreshAheadSec: 0, minValiditySec: 10 });
    const request = { resource: SHORT_LIVED, scopes: ["ledger:write"] };
    const first = await source.getToken(request);
    await sleep(3100);
    const second = await source.getToken(request);
    expect(second).not.toBe(first);
    expect(source.stats.refreshesAhead).toBe(0);
  });

  it("types invalid_scope with the server's description and does not retry it", async () => {
    const source = ordersSource();
    const before = auth.proxy.tokenRequests;
    const error: unknown = await source.getToken({ resource: INVENTORY, scopes: ["inventory:admin"] }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      [ERROR_BRAND]: "sdk",
      code: "invalid_scope",
      description: "requested scope is not allowed",
      responseStatus: 400,
      status: 502,
    });
    expect(auth.proxy.tokenRequests - before).toBe(1);
  });

  it("types invalid_target for a resource the server does not know", async () => {
    const source = ordersSource();
    await expect(source.getToken({ resource: "https://payments.internal", scopes: ["payments:read"] })).rejects.toMatchObject({
      code: "invalid_target",
      description: "resource indicator is unknown",
      responseStatus: 400,
    });
  });

  it("types invalid_client for a wrong client secret, without retrying", async () => {
    const source = createTokenSource({
      issuer: auth.issuer,
      clientId: "billing",
      auth: { method: "client_secret_post", clientSecret: "not-the-secret" },
    });
    sources.push(source);
    const before = auth.proxy.tokenRequests;
    await expect(source.getToken({ resource: INVENTORY, scopes: ["inventory:read"] })).rejects.toMatchObject({
      code: "invalid_client",
      description: "client authentication failed",
      responseStatus: 401,
    });
    expect(auth.proxy.tokenRequests - before).toBe(1);
  });

  it("gets a token with client_secret_post", async () => {
    const source = createTokenSource({
      issuer: auth.issuer,
      clientId: "billing",
      auth: { method: "client_secret_post", clientSecret: BILLING_SECRET },
    });
    sources.push(source);
    await expect(source.getToken({ resource: INVENTORY, scopes: ["inventory:read"] })).resolves.toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("issues a token that createVerifier accepts, with service, scopes and attributes", async () => {
    const source = ordersSource();
    const verifier = createVerifier({ issuer: auth.issuer, audience: INVENTORY });
    try {
      const token = await source.getToken({ resource: INVENTORY, scopes: ["inventory:read", "inventory:reserve"] });
      const verified = await verifier.verify(token);
      expect({
        service: verified.service,
        clientId: verified.clientId,
        scopes: [...verified.scopes].sort(),
        audience: verified.audience,
        attributes: verified.attributes,
      }).toEqual({
        service: "orders",
        clientId: "orders",
        scopes: ["inventory:read", "inventory:reserve"],
        audience: [INVENTORY],
        attributes: { team: "checkout", environment: "prod" },
      });
      expect(verified.claims).toMatchObject({ iss: auth.issuer, "urn:gatehouse:attributes": { team: "checkout", environment: "prod" } });
      expect(verified.expiresAt - verified.issuedAt).toBe(300);
      // The same token is refused at another audience.
      await expect(verifier.verify(token, { audience: SHORT_LIVED })).rejects.toMatchObject({ code: "invalid_token" });
    } finally {
      verifier.close();
    }
  });
});
