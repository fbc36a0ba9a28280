import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Started } from "./helpers/server.js";

let started: Started;

beforeAll(async () => {
  started = await startServer(
    { keys: { generate: "memory" }, services: { probe: { auth: { method: "client_secret_basic", secretEnv: "PROBE_SECRET" } } } },
    { env: { PROBE_SECRET: "probe-secret" } },
  );
});

afterAll(async () => {
  await started.server.close();
});

const expectedMetadata = () => ({
  issuer: started.issuer,
  token_endpoint: `${started.issuer}/token`,
  jwks_uri: `${started.issuer}/jwks`,
  grant_types_supported: ["client_credentials"],
  token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth"],
  token_endpoint_auth_signing_alg_values_supported: ["ES256", "ES384", "PS256", "RS256", "EdDSA"],
  response_types_supported: [],
  gatehouse_trust_bundle_uri: `${started.issuer}/trust-bundle.pem`,
  gatehouse_certificate_endpoint: `${started.issuer}/certificates`,
});

describe("discovery", () => {
  it("advertises only what is supported in RFC 8414 metadata", async () => {
    const response = await fetch(`${started.issuer}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expectedMetadata());
  });

  it("serves the same document as OpenID discovery", async () => {
    const response = await fetch(`${started.issuer}/.well-known/openid-configuration`);
    expect(await response.json()).toEqual(expectedMetadata());
  });

  it("publishes only public signing keys in the JWKS", async () => {
    const response = await fetch(`${started.issuer}/jwks`);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json; charset=utf-8");
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(body).toEqual({
      keys: [{ kty: "EC", crv: "P-256", x: expect.any(String) as string, y: expect.any(String) as string, kid: expect.any(String) as string, alg: "ES256", use: "sig" }],
    });
  });
});

describe("endpoints that do not exist here", () => {
  it.each(["/auth", "/me", "/token/introspection", "/reg", "/session/end", "/"])("answers %s with 404 not_found", async (path) => {
    const response = await fetch(`${started.issuer}${path}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: "not_found", error_description: `no endpoint at ${path}` });
  });

  it.each([
    ["GET", "/token", "POST"],
    ["POST", "/jwks", "GET, HEAD"],
    ["OPTIONS", "/token", "POST"],
    ["PUT", "/.well-known/openid-configuration", "GET, HEAD"],
    ["POST", "/healthz", "HEAD, GET"],
  ])("answers %s %s with 405 method_not_allowed and Allow: %s", async (method, path, allow) => {
    const response = await fetch(`${started.issuer}${path}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: `${path} does not take ${method}` });
  });

  it("refuses a token request body larger than the limit with 413", async () => {
    const response = await fetch(`${started.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&scope=${"a".repeat(9000)}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "request body larger than 8192 bytes" });
  });

  it("answers a non-form token request with invalid_request, no stack trace", async () => {
    const response = await fetch(`${started.issuer}/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_request", error_description: "only application/x-www-form-urlencoded content-type bodies are supported on POST /token" });
  });

  it("answers an unsupported grant type per RFC 6749 §5.2", async () => {
    const response = await fetch(`${started.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("probe:probe-secret").toString("base64")}` },
      body: "grant_type=password&username=u&password=p",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "unsupported_grant_type", error_description: "unsupported grant_type requested" });
  });
});
