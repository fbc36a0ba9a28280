// Secretless Kubernetes workloads: a pod's projected ServiceAccount token is its client assertion.
// A stand-in cluster issuer (its own RSA key pair and JWKS, tokens shaped exactly like the kubelet's)
// and the real auth server on port 0; the SDK's token source reads the token file as a pod would.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createLogger } from "@gatehouse/service-kit";
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource, isGatehouseError } from "@gatehouse/sdk";
import { startJwksServer, type JwksServer } from "../../packages/sdk/test/helpers/jwks-server.js";

const SUBJECT = "system:serviceaccount:shop:orders";
const INVENTORY = "https://inventory.internal";
const LEDGER = "https://ledger.internal";

let cluster: JwksServer;
let clusterKey: CryptoKey;
let otherClusterKey: CryptoKey;
let server: AuthServer;
let issuer: string;
let dir: string;

/** A token as the kubelet projects it (`serviceAccountToken` volume, audience = the auth server). */
function kubeletToken(overrides: JWTPayload & { key?: CryptoKey; lifetime?: number } = {}): Promise<string> {
  const { key = clusterKey, lifetime = 600, ...claims } = overrides;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    aud: [issuer],
    iss: cluster.issuer,
    sub: SUBJECT,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    jti: randomUUID(),
    "kubernetes.io": {
      namespace: "shop",
      node: { name: "node-1", uid: randomUUID() },
      pod: { name: "orders-7d9f8-abcde", uid: randomUUID() },
      serviceaccount: { name: "orders", uid: randomUUID() },
    },
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: "cluster-key-1" })
    .sign(key);
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  clusterKey = pair.privateKey;
  otherClusterKey = (await generateKeyPair("RS256")).privateKey;
  cluster = await startJwksServer([{ ...(await exportJWK(pair.publicKey)), kid: "cluster-key-1", alg: "RS256", use: "sig" }]);
  const config = parseAuthServerConfig(
    {
      keys: { generate: "memory" },
      services: {
        orders: {
          auth: { method: "kubernetes_service_account", issuer: cluster.issuer, jwksUri: cluster.jwksUri, subject: SUBJECT },
          allow: { inventory: ["inventory:read"], ledger: ["ledger:write"] },
          attributes: { team: "checkout" },
        },
        ledger: {
          resource: LEDGER,
          scopes: ["ledger:write"],
          auth: { method: "kubernetes_service_account", issuer: cluster.issuer, jwksUri: cluster.jwksUri, subject: "system:serviceaccount:shop:ledger" },
        },
        inventory: {
          resource: INVENTORY,
          scopes: ["inventory:read"],
          auth: { method: "kubernetes_service_account", issuer: cluster.issuer, jwksUri: cluster.jwksUri, subject: "system:serviceaccount:shop:inventory" },
        },
      },
    },
    "service-account.yaml",
  );
  server = createAuthServer(config, { logger: createLogger("auth-server", { level: "silent" }) });
  ({ issuer } = await server.listen(0));
  dir = mkdtempSync(join(tmpdir(), "gatehouse-sa-"));
});

afterAll(async () => {
  await server.close();
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs a token request from a chosen loopback source address. */
function tokenRequest(assertion: string, options: { from?: string; clientId?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    resource: INVENTORY,
    scope: "inventory:read",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: assertion,
  });
  if (options.clientId !== undefined) form.set("client_id", options.clientId);
  const url = new URL(`${issuer}/token`);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress: options.from ?? "127.0.0.1", headers: { "content-type": "application/x-www-form-urlencoded" } },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(form.toString());
  });
}

const refused = { status: 401, body: { error: "invalid_client", error_description: "client authentication failed" } };

describe("kubernetes_service_account client authentication", () => {
  it("issues the registered service's token for its ServiceAccount token, with the service's identity", async () => {
    const answer = await tokenRequest(await kubeletToken());
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const claims = decodeJwt(answer.body["access_token"] as string);
    expect(claims).toMatchObject({ sub: "orders", client_id: "orders", aud: INVENTORY, scope: "inventory:read" });
  });

  it("lets the same pod present its token again, and refuses the same token from another address (replay)", async () => {
    const token = await kubeletToken();
    expect((await tokenRequest(token)).status).toBe(200);
    expect((await tokenRequest(token)).status).toBe(200);
    expect(await tokenRequest(token, { from: "127.0.0.2" })).toEqual(refused);
  });

  it.each([
    ["signed by another cluster's key", () => kubeletToken({ key: otherClusterKey })],
    ["for another subject", () => kubeletToken({ sub: "system:serviceaccount:shop:payments" })],
    ["for another service's subject than client_id names", () => kubeletToken({ sub: "system:serviceaccount:shop:inventory" })],
    ["from another issuer", () => kubeletToken({ iss: "https://other-cluster.example" })],
    ["expired", () => kubeletToken({ iat: Math.floor(Date.now() / 1000) - 700, nbf: Math.floor(Date.now() / 1000) - 700, exp: Math.floor(Date.now() / 1000) - 100 })],
    ["for another audience", () => kubeletToken({ aud: ["https://kubernetes.default.svc"] })],
    ["valid for longer than allowed", () => kubeletToken({ lifetime: 7200 })],
  ])("refuses a token %s with 401 invalid_client", async (_name, make) => {
    expect(await tokenRequest(await make(), { clientId: "orders" })).toEqual(refused);
  });

  it("refuses a token whose signature does not verify (edited claims)", async () => {
    const [header, , signature] = (await kubeletToken()).split(".");
    const forged = Buffer.from(JSON.stringify({ iss: cluster.issuer, sub: SUBJECT, aud: [issuer], exp: Math.floor(Date.now() / 1000) + 600, iat: Math.floor(Date.now() / 1000) })).toString("base64url");
    expect(await tokenRequest(`${header ?? ""}.${forged}.${signature ?? ""}`)).toEqual(refused);
  });

  it("the SDK's token source reads the projected file and picks up a token the kubelet rotated", async () => {
    const file = join(dir, "token");
    writeFileSync(file, await kubeletToken());
    const source = createTokenSource({ issuer, clientId: "orders", auth: { method: "kubernetes_service_account", tokenFile: file } });
    try {
      const first = await source.getToken({ resource: INVENTORY, scopes: ["inventory:read"] });
      expect(decodeJwt(first)).toMatchObject({ sub: "orders", aud: INVENTORY });
      // The kubelet replaces the file with an expired token: the next token request uses it and is refused.
      writeFileSync(file, await kubeletToken({ exp: Math.floor(Date.now() / 1000) - 100 }));
      const error: unknown = await source.getToken({ resource: LEDGER, scopes: ["ledger:write"] }).catch((caught: unknown) => caught);
      expect(isGatehouseError(error) ? error.code : error).toBe("invalid_client");
      // …and with a fresh one again, tokens come back, without a restart.
      writeFileSync(file, await kubeletToken());
      expect(decodeJwt(await source.getToken({ resource: LEDGER, scopes: ["ledger:write"] }))).toMatchObject({ sub: "orders", aud: LEDGER });
    } finally {
      source.close();
    }
  });
});
