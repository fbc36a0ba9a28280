// Retry behaviour of the token source against a real node:http server answering like an OAuth server:
// 5xx and dropped connections are retried with backoff, 4xx never; errors carry the server's code and description.
import { setTimeout as sleep } from "node:timers/promises";
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenSource, ERROR_BRAND, type TokenSource } from "../src/index.js";
import { startScriptedOAuthServer, tokenAnswer, type ScriptedOAuthServer } from "./helpers/scripted-oauth-server.js";

const RESOURCE = "https://inventory.internal";
let server: ScriptedOAuthServer | undefined;
let source: TokenSource | undefined;

afterEach(async () => {
  source?.close();
  await server?.close();
  server = source = undefined;
});

async function setUp(fallback = tokenAnswer("token-1")): Promise<{ server: ScriptedOAuthServer; source: TokenSource }> {
  server = await startScriptedOAuthServer(fallback);
  source = createTokenSource({
    issuer: server.issuer,
    clientId: "orders",
    auth: { method: "client_secret_basic", clientSecret: "orders-secret" },
    retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 20 },
  });
  return { server, source };
}

const unavailable = { status: 503, body: { error: "temporarily_unavailable", error_description: "try later" } };

describe("token source retries", () => {
  it("sends client_credentials with resource and scope, authenticated with client_secret_basic", async () => {
    const { server, source } = await setUp();
    await expect(source.getToken({ resource: RESOURCE, scopes: ["inventory:reserve", "inventory:read"] })).resolves.toBe("token-1");
    expect(server.tokenRequests).toHaveLength(1);
    expect(server.tokenRequests[0]!.form).toEqual({
      grant_type: "client_credentials",
      resource: RESOURCE,
      scope: "inventory:reserve inventory:read",
    });
    // RFC 6749 §2.3.1: id and secret are form-encoded before Base64 ("-" becomes %2D).
    expect(server.tokenRequests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("orders:orders%2Dsecret").toString("base64")}`);
  });

  it("authenticates with a private_key_jwt assertion signed by the JWK, with its kid and aud = issuer (RFC 7523 §3)", async () => {
    server = await startScriptedOAuthServer(tokenAnswer("token-1"));
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    // No alg in the JWK: the P-256 curve implies ES256.
    const privateJwk = { ...(await exportJWK(privateKey)), kid: "orders-1" };
    source = createTokenSource({ issuer: server.issuer, clientId: "orders", auth: { method: "private_key_jwt", privateJwk } });
    await expect(source.getToken({ resource: RESOURCE, scopes: ["inventory:read"] })).resolves.toBe("token-1");
    const form = server.tokenRequests[0]!.form;
    expect(form).toMatchObject({
      grant_type: "client_credentials",
      resource: RESOURCE,
      scope: "inventory:read",
      client_id: "orders",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    });
    const assertion = form["client_assertion"]!;
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "ES256", kid: "orders-1" });
    await expect(jwtVerify(assertion, publicKey, { issuer: "orders", subject: "orders", audience: server.issuer })).resolves.toBeDefined();
    expect(typeof decodeJwt(assertion).jti).toBe("string");
  });

  it("refuses a public JWK as the private key before any request", async () => {
    const { server } = await setUp();
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const withPublicKey = createTokenSource({
      issuer: server.issuer,
      clientId: "orders",
      auth: { method: "private_key_jwt", privateJwk: await exportJWK(publicKey) },
    });
    await expect(withPublicKey.getToken({ resource: RESOURCE })).rejects.toMatchObject({
      code: "invalid_options",
      description: "auth.privateJwk must be a private key (with d)",
    });
    expect(server.tokenRequests).toHaveLength(0);
    withPublicKey.close();
  });

  it("retries a 503 with backoff and returns the token of the first success", async () => {
    const { server, source } = await setUp();
    server.script(unavailable, unavailable);
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    expect(server.tokenRequests).toHaveLength(3);
    expect(source.stats).toMatchObject({ tokenRequests: 3, failures: 0 });
  });

  it("retries a dropped connection as a network error", async () => {
    const { server, source } = await setUp();
    server.script("drop-connection");
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    expect(server.tokenRequests).toHaveLength(2);
  });

  it("gives up after the configured retries with the server's last error", async () => {
    const { server, source } = await setUp(unavailable);
    await expect(source.getToken({ resource: RESOURCE })).rejects.toMatchObject({
      code: "temporarily_unavailable",
      description: "try later",
      status: 503,
      responseStatus: 503,
    });
    expect(server.tokenRequests).toHaveLength(4);
    expect(source.stats).toMatchObject({ tokenRequests: 4, failures: 1 });
  });

  it("types a 500 without an OAuth body as server_error", async () => {
    const { server, source } = await setUp({ status: 500, body: "oops" });
    await expect(source.getToken({ resource: RESOURCE })).rejects.toMatchObject({
      code: "server_error",
      description: "the token endpoint answered HTTP 500 without an OAuth error",
      responseStatus: 500,
    });
    expect(server.tokenRequests).toHaveLength(4);
  });

  it("never retries a 400 and types it with the server's OAuth error code and description", async () => {
    const { server, source } = await setUp({
      status: 400,
      body: { error: "invalid_scope", error_description: "orders may not ask inventory:admin" },
    });
    const error: unknown = await source.getToken({ resource: RESOURCE, scopes: ["inventory:admin"] }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      [ERROR_BRAND]: "sdk",
      code: "invalid_scope",
      description: "orders may not ask inventory:admin",
      status: 502,
      responseStatus: 400,
      expose: false,
    });
    expect(server.tokenRequests).toHaveLength(1);
  });

  it("never retries a 401 invalid_client, with or without a WWW-Authenticate challenge", async () => {
    const { server, source } = await setUp({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
      headers: { "www-authenticate": 'Basic realm="token", error="invalid_client"' },
    });
    await expect(source.getToken({ resource: RESOURCE })).rejects.toMatchObject({
      code: "invalid_client",
      description: "client authentication failed",
      responseStatus: 401,
    });
    expect(server.tokenRequests).toHaveLength(1);
  });

  it("shares one failure between concurrent callers and tries again on the next call", async () => {
    const { server, source } = await setUp();
    server.script({ status: 400, body: { error: "invalid_target", error_description: "unknown resource" } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => source.getToken({ resource: RESOURCE })));
    expect(results.every((result) => result.status === "rejected")).toBe(true);
    expect(server.tokenRequests).toHaveLength(1);
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    expect(server.tokenRequests).toHaveLength(2);
  });

  it("rejects with network_error after retries when the server is gone", async () => {
    const { server: gone } = await setUp();
    const closedSource = createTokenSource({
      issuer: gone.issuer,
      clientId: "orders",
      auth: { method: "client_secret_post", clientSecret: "orders-secret" },
      retry: { retries: 1, baseDelayMs: 1 },
    });
    await gone.close();
    server = undefined;
    const error: unknown = await closedSource.getToken({ resource: RESOURCE }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "network_error", status: 503 });
    expect((error as { description: string }).description).toMatch(/^metadata discovery at http:\/\/127\.0\.0\.1:\d+\/ failed: connect ECONNREFUSED/);
    closedSource.close();
  });

  it("keeps handing out the valid token while a refresh ahead fails, and takes a new one once the server answers", async () => {
    const { server, source } = await setUp(tokenAnswer("token-2"));
    // A 4 s token: refresh ahead from 2 s, unusable from 3 s.
    server.script(tokenAnswer("token-1", 4));
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    server.script(unavailable, unavailable, unavailable, unavailable);
    await sleep(2100);
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    await expect.poll(() => source.stats.failures).toBe(1);
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-1");
    await expect.poll(() => source.getToken({ resource: RESOURCE }), { timeout: 5000, interval: 100 }).toBe("token-2");
    expect(server.tokenRequests).toHaveLength(6);
  });

  it("refuses an invalid resource or scope before any request", async () => {
    const { server, source } = await setUp();
    await expect(source.getToken({ resource: "inventory" })).rejects.toMatchObject({ code: "invalid_options" });
    await expect(source.getToken({ resource: RESOURCE, scopes: ['a"b'] })).rejects.toMatchObject({ code: "invalid_options" });
    expect(server.tokenRequests).toHaveLength(0);
  });
});
