import { createLocalJWKSet, jwtVerify, type JWK } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTRIBUTES_CLAIM } from "../src/index.js";
import { requestToken, serviceKey, startServer, type ServiceKey, type Started } from "./helpers/server.js";
import { PLAIN_HTTP } from "./helpers/server.js";

const ORDERS_SECRET_ENV = { INVENTORY_SECRET: "inventory-secret-0123456789abcdef", BILLING_SECRET: "billing-secret-0123456789abcdef" };

let orders: ServiceKey;
let started: Started;

function registry(ordersJwk: JWK) {
  return {
    keys: { generate: "memory" },
    services: {
      orders: {
        resource: "https://orders.internal",
        scopes: ["orders:read", "orders:write"],
        auth: { method: "private_key_jwt", jwks: { keys: [ordersJwk] } },
        allow: { inventory: ["inventory:read", "inventory:reserve"] },
        attributes: { team: "checkout", environment: "prod" },
      },
      inventory: {
        resource: "https://inventory.internal",
        scopes: ["inventory:read", "inventory:reserve", "inventory:admin"],
        auth: { method: "client_secret_basic", secretEnv: "INVENTORY_SECRET" },
        allow: { orders: ["orders:read"] },
        tokenTtlSeconds: 120,
      },
      billing: {
        auth: { method: "client_secret_post", secretEnv: "BILLING_SECRET" },
        allow: { inventory: ["inventory:read"] },
        attributes: { team: "finance" },
      },
      retired: {
        resource: "https://retired.internal",
        scopes: ["retired:read"],
        auth: { method: "client_secret_basic", secretEnv: "INVENTORY_SECRET" },
        disabled: true,
      },
    },
  };
}

beforeAll(async () => {
  orders = await serviceKey("orders-1");
  started = await startServer(registry(orders.publicJwk), { env: ORDERS_SECRET_ENV });
});

afterAll(async () => {
  await started.server.close();
});

const client = (id: string): oauth.Client => ({ client_id: id });

async function tokenFor(id: string, auth: oauth.ClientAuth, parameters: Record<string, string>) {
  const response = await requestToken(started.as, id, auth, parameters);
  return oauth.processClientCredentialsResponse(started.as, client(id), response);
}

/** The OAuth error a token request answers with: status, body and WWW-Authenticate. */
async function tokenError(id: string, auth: oauth.ClientAuth, parameters: Record<string, string>) {
  const response = await requestToken(started.as, id, auth, parameters);
  const status = response.status;
  const wwwAuthenticate = response.headers.get("www-authenticate");
  const body: unknown = await response.clone().json();
  await expect(oauth.processClientCredentialsResponse(started.as, client(id), response)).rejects.toThrow(
    status === 401 && wwwAuthenticate !== null ? oauth.WWWAuthenticateChallengeError : oauth.ResponseBodyError,
  );
  return { status, body, wwwAuthenticate };
}

async function verifyWithPublishedJwks(token: string, audience: string) {
  const jwks = (await (await fetch(started.as.jwks_uri!)).json()) as { keys: JWK[] };
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: started.issuer, audience, typ: "at+jwt", algorithms: ["ES256"] });
}

describe("client_credentials with private_key_jwt", () => {
  it("issues an RFC 9068 token whose header and claims are exactly as specified, with the target's TTL", async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await tokenFor("orders", oauth.PrivateKeyJwt(orders.privateKey), {
      resource: "https://inventory.internal",
      scope: "inventory:read inventory:reserve",
    });
    expect(result).toEqual({
      access_token: expect.any(String) as string,
      expires_in: 120,
      token_type: "bearer",
      scope: "inventory:read inventory:reserve",
    });
    const { payload, protectedHeader } = await verifyWithPublishedJwks(result.access_token, "https://inventory.internal");
    const jwks = (await (await fetch(started.as.jwks_uri!)).json()) as { keys: JWK[] };
    expect(protectedHeader).toEqual({ typ: "at+jwt", alg: "ES256", kid: jwks.keys[0]!.kid });
    expect(payload).toEqual({
      iss: started.issuer,
      sub: "orders",
      client_id: "orders",
      aud: "https://inventory.internal",
      scope: "inventory:read inventory:reserve",
      iat: expect.any(Number) as number,
      exp: payload.iat! + 120,
      jti: expect.any(String) as string,
      [ATTRIBUTES_CLAIM]: { team: "checkout", environment: "prod" },
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
  });

  it("accepts an assertion addressed to the token endpoint instead of the issuer", async () => {
    const auth = oauth.PrivateKeyJwt(orders.privateKey, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload["aud"] = started.as.token_endpoint;
      },
    });
    const result = await tokenFor("orders", auth, { resource: "https://inventory.internal", scope: "inventory:read" });
    expect(result.scope).toBe("inventory:read");
  });

  it("rejects a replayed assertion with 401 invalid_client", async () => {
    const jti = `replay-${Date.now()}`;
    const auth = oauth.PrivateKeyJwt(orders.privateKey, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload["jti"] = jti;
      },
    });
    const parameters = { resource: "https://inventory.internal", scope: "inventory:read" };
    await tokenFor("orders", auth, parameters);
    expect(await tokenError("orders", auth, parameters)).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      wwwAuthenticate: null,
    });
  });

  it("rejects an expired assertion with 401 invalid_client", async () => {
    const auth = oauth.PrivateKeyJwt(orders.privateKey, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload["iat"] = Math.floor(Date.now() / 1000) - 600;
        payload["exp"] = Math.floor(Date.now() / 1000) - 60;
      },
    });
    expect(await tokenError("orders", auth, { resource: "https://inventory.internal", scope: "inventory:read" })).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      wwwAuthenticate: null,
    });
  });

  it("rejects an assertion addressed to another audience with 401 invalid_client", async () => {
    const auth = oauth.PrivateKeyJwt(orders.privateKey, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload["aud"] = "https://other-issuer.example";
      },
    });
    expect(await tokenError("orders", auth, { resource: "https://inventory.internal", scope: "inventory:read" })).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      wwwAuthenticate: null,
    });
  });

  it("rejects an assertion signed with a key the service did not register", async () => {
    const stranger = await serviceKey("orders-1");
    expect(await tokenError("orders", oauth.PrivateKeyJwt(stranger.privateKey), { resource: "https://inventory.internal", scope: "inventory:read" })).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
  });
});

describe("client_credentials with a client secret", () => {
  it("issues a token to client_secret_basic with the default TTL", async () => {
    const result = await tokenFor("inventory", oauth.ClientSecretBasic(ORDERS_SECRET_ENV.INVENTORY_SECRET), {
      resource: "https://orders.internal",
      scope: "orders:read",
    });
    expect(result.expires_in).toBe(300);
    const { payload } = await verifyWithPublishedJwks(result.access_token, "https://orders.internal");
    expect(payload).toMatchObject({ sub: "inventory", client_id: "inventory", scope: "orders:read", [ATTRIBUTES_CLAIM]: {} });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it("issues a token to client_secret_post", async () => {
    const result = await tokenFor("billing", oauth.ClientSecretPost(ORDERS_SECRET_ENV.BILLING_SECRET), {
      resource: "https://inventory.internal",
      scope: "inventory:read",
    });
    const { payload } = await verifyWithPublishedJwks(result.access_token, "https://inventory.internal");
    expect(payload).toMatchObject({ sub: "billing", aud: "https://inventory.internal", [ATTRIBUTES_CLAIM]: { team: "finance" } });
  });

  it("rejects a wrong secret with 401 invalid_client and a Basic challenge", async () => {
    expect(await tokenError("inventory", oauth.ClientSecretBasic("wrong"), { resource: "https://orders.internal", scope: "orders:read" })).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      wwwAuthenticate: `Basic realm="${started.issuer}", error="invalid_client", error_description="client authentication failed"`,
    });
  });

  it("rejects an unknown client with 401 invalid_client", async () => {
    expect(await tokenError("nobody", oauth.ClientSecretPost("whatever"), { resource: "https://orders.internal", scope: "orders:read" })).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      wwwAuthenticate: null,
    });
  });

  it("rejects a disabled service as a client", async () => {
    expect(await tokenError("retired", oauth.ClientSecretBasic(ORDERS_SECRET_ENV.INVENTORY_SECRET), { resource: "https://orders.internal", scope: "orders:read" })).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
  });

  it("rejects the secret method a service did not register", async () => {
    expect(await tokenError("inventory", oauth.ClientSecretPost(ORDERS_SECRET_ENV.INVENTORY_SECRET), { resource: "https://orders.internal", scope: "orders:read" })).toMatchObject({
      status: 401,
      body: { error: "invalid_client" },
    });
  });
});

describe("resource and scope policy", () => {
  const basic = () => oauth.ClientSecretBasic(ORDERS_SECRET_ENV.INVENTORY_SECRET);

  it("rejects a scope the caller is not allowed at the target instead of narrowing", async () => {
    expect(await tokenError("orders", oauth.PrivateKeyJwt(orders.privateKey), { resource: "https://inventory.internal", scope: "inventory:read inventory:admin" })).toEqual({
      status: 400,
      body: { error: "invalid_scope", error_description: "requested scope is not allowed", scope: "inventory:admin" },
      wwwAuthenticate: null,
    });
  });

  it("rejects an unknown resource with invalid_target", async () => {
    expect(await tokenError("inventory", basic(), { resource: "https://payments.internal", scope: "payments:read" })).toEqual({
      status: 400,
      body: { error: "invalid_target", error_description: "resource indicator is unknown" },
      wwwAuthenticate: null,
    });
  });

  it("rejects a disabled target with invalid_target", async () => {
    expect(await tokenError("inventory", basic(), { resource: "https://retired.internal", scope: "retired:read" })).toMatchObject({
      status: 400,
      body: { error: "invalid_target", error_description: "resource indicator is unknown" },
    });
  });

  it("rejects a target the caller has no allow entry for with invalid_target", async () => {
    expect(await tokenError("inventory", basic(), { resource: "https://inventory.internal", scope: "inventory:read" })).toEqual({
      status: 400,
      body: { error: "invalid_target", error_description: "client is not allowed to request tokens for this resource" },
      wwwAuthenticate: null,
    });
  });

  it("rejects a request without resource", async () => {
    expect(await tokenError("inventory", basic(), { scope: "orders:read" })).toEqual({
      status: 400,
      body: { error: "invalid_request", error_description: "missing required parameter 'resource'" },
      wwwAuthenticate: null,
    });
  });

  it("rejects two resources in one request with invalid_target", async () => {
    const params = new URLSearchParams([
      ["resource", "https://orders.internal"],
      ["resource", "https://inventory.internal"],
      ["scope", "orders:read"],
    ]);
    const response = await oauth.clientCredentialsGrantRequest(started.as, client("inventory"), basic(), params, PLAIN_HTTP);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "invalid_target",
      error_description: "only a single resource indicator value is supported for this grant type",
    });
  });

  it("rejects a request without scope with invalid_scope", async () => {
    expect(await tokenError("inventory", basic(), { resource: "https://orders.internal" })).toEqual({
      status: 400,
      body: { error: "invalid_scope", error_description: "scope is required" },
      wwwAuthenticate: null,
    });
  });
});
