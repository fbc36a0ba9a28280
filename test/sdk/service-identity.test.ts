// Transport identity end to end: the real auth server on HTTPS with its own CA, the SDK making keys, getting and
// renewing certificates, asking for certificate-bound tokens over mutual TLS, and a backend that accepts only the
// services it lists.
import { X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { connect, TLSSocket } from "node:tls";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createLogger } from "@gatehouse/service-kit";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authenticateRequest,
  createServiceIdentity,
  createServiceServer,
  createTokenSource,
  createVerifier,
  spiffeIdOf,
  type ServiceIdentity,
} from "@gatehouse/sdk";
import { publishedTrustBundle } from "../helpers/trust-bootstrap.js";

const SECRET = "identity-secret-0123456789abcdef";
const TRUST_DOMAIN = "sdk.test";
const BACKEND = "https://backend.internal";
let auth: AuthServer;
let issuer: string;
let trustBundle: string;
const identities: ServiceIdentity[] = [];

beforeAll(async () => {
  const config = parseAuthServerConfig(
    {
      trustDomain: TRUST_DOMAIN,
      keys: { generate: "memory" },
      ca: { generate: "memory", reloadIntervalSeconds: 1 },
      certificates: { ttlSeconds: 6 },
      tls: { fromCa: true },
      services: {
        backend: { resource: BACKEND, scopes: ["backend:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" }, dnsNames: ["localhost"] },
        gateway: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { backend: ["backend:read"] } },
        orders: { auth: { method: "client_secret_post", secretEnv: "SECRET" }, allow: { backend: ["backend:read"] } },
        billing: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { backend: ["backend:read"] } },
      },
    },
    "identity.yaml",
  );
  auth = createAuthServer(config, { logger: createLogger("auth-server", { level: "silent" }), env: { SECRET } });
  ({ issuer } = await auth.listen(0));
  // Bootstrapping trust: the bundle is fetched once without verification here, as an operator would copy it.
  trustBundle = await publishedTrustBundle(issuer);
});

afterAll(async () => {
  for (const identity of identities) identity.close();
  await auth.close();
});

function identityOf(clientId: string, method: "client_secret_basic" | "client_secret_post" = "client_secret_basic"): ServiceIdentity {
  const identity = createServiceIdentity({ issuer, clientId, auth: { method, clientSecret: SECRET }, trustBundle });
  identities.push(identity);
  return identity;
}

describe("createServiceIdentity", () => {
  it("makes its key, gets a certificate naming its SPIFFE ID, and renews it at half-life without a restart", async () => {
    const identity = identityOf("orders", "client_secret_post");
    await identity.ready();
    expect(identity.spiffeId).toBe(`spiffe://${TRUST_DOMAIN}/orders`);
    const first = identity.tlsOptions();
    const leaf = new X509Certificate(first.cert);
    const ca = new X509Certificate(first.ca);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkPrivateKey((await import("node:crypto")).createPrivateKey(first.key))).toBe(true);

    const started = Date.now();
    const rotated = new Promise<string>((resolve) => identity.onRotate((tls) => resolve(tls.cert)));
    const renewed = new X509Certificate(await rotated);
    // Half of the 6 s lifetime, not at once (notBefore is backdated by the CA).
    expect(Date.now() - started).toBeGreaterThan(2000);
    expect(renewed.serialNumber).not.toBe(leaf.serialNumber);
    expect(spiffeIdOf(renewed)).toBe(`spiffe://${TRUST_DOMAIN}/orders`);
    expect(identity.tlsOptions().key).not.toBe(first.key);
  });

  it("rejects ready() with the server's OAuth error for a wrong secret", async () => {
    const identity = createServiceIdentity({ issuer, clientId: "orders", auth: { method: "client_secret_basic", clientSecret: "wrong-secret-0123456789abcdef" }, trustBundle });
    identities.push(identity);
    await expect(identity.ready()).rejects.toMatchObject({ code: "invalid_client" });
    expect(() => identity.tlsOptions()).toThrow(/await ready/);
  });
});

describe("mutual TLS between services", () => {
  let backendUrl: string;
  const seen: string[] = [];
  const refused: (string | undefined)[] = [];
  let server: ReturnType<typeof createServiceServer>;

  beforeAll(async () => {
    const backend = identityOf("backend");
    await backend.ready();
    server = createServiceServer(
      backend,
      (request, response) => {
        const socket = request.socket;
        const peer = socket instanceof TLSSocket ? socket.getPeerX509Certificate() : undefined;
        seen.push(peer === undefined ? "none" : (spiffeIdOf(peer) ?? "none"));
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ authorization: request.headers.authorization ?? null }));
      },
      { allow: ["gateway"], onRefused: (refusal) => refused.push(refusal.spiffeId) },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    backendUrl = `https://localhost:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("asks for tokens over mTLS (bound to the certificate) and authFetch presents the certificate to an allowed backend", async () => {
    const gateway = identityOf("gateway");
    const tokens = createTokenSource({ issuer, clientId: "gateway", auth: { method: "client_secret_basic", clientSecret: SECRET }, identity: gateway });
    const token = await tokens.getToken({ resource: BACKEND, scopes: ["backend:read"] });
    const thumbprint = Buffer.from(new X509Certificate(gateway.tlsOptions().cert).fingerprint256.replace(/:/g, ""), "hex").toString("base64url");
    expect(decodeJwt(token)["cnf"]).toEqual({ "x5t#S256": thumbprint });

    const response = await tokens.authFetch(backendUrl, { resource: BACKEND, scopes: ["backend:read"] });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ authorization: `Bearer ${token}` });
    expect(seen.at(-1)).toBe(`spiffe://${TRUST_DOMAIN}/gateway`);
    tokens.close();
  });

  it("drops its certificate-bound tokens when the identity renews its certificate, and gets one bound to the new certificate", async () => {
    const billing = identityOf("billing");
    const tokens = createTokenSource({ issuer, clientId: "billing", auth: { method: "client_secret_basic", clientSecret: SECRET }, identity: billing });
    const request = { resource: BACKEND, scopes: ["backend:read"] };
    const thumbprintOf = (pem: string) => Buffer.from(new X509Certificate(pem).fingerprint256.replace(/:/g, ""), "hex").toString("base64url");
    const first = await tokens.getToken(request);
    expect(await tokens.getToken(request)).toBe(first);
    const firstCertificate = billing.tlsOptions().cert;
    // The next renewal (half of the 6 s lifetime).
    await new Promise<void>((resolve) => {
      const stop = billing.onRotate((tls) => {
        if (tls.cert === firstCertificate) return;
        stop();
        resolve();
      });
    });
    const second = await tokens.getToken(request);
    expect(second).not.toBe(first);
    expect(decodeJwt(second)["cnf"]).toEqual({ "x5t#S256": thumbprintOf(billing.tlsOptions().cert) });
    expect(tokens.stats.tokenRequests).toBe(2);
    tokens.close();
  });

  it("closes a connection from a service it does not list, and fails the handshake without a Gatehouse certificate", async () => {
    const orders = identityOf("orders");
    await orders.ready();
    const before = seen.length;
    await expect(orders.fetch(backendUrl)).rejects.toThrow();
    expect(refused).toContain(`spiffe://${TRUST_DOMAIN}/orders`);

    const port = (server.address() as AddressInfo).port;
    const alert = await new Promise<string>((resolve) => {
      const socket = connect({ port, host: "127.0.0.1", ca: trustBundle, servername: "localhost" });
      socket.on("secureConnect", () => socket.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
      socket.on("error", (error: Error) => resolve(error.message));
      socket.on("close", () => resolve("closed"));
    });
    expect(alert).toMatch(/certificate required|alert|closed|ECONNRESET/);
    expect(seen.length).toBe(before);
  });
});

describe("a backend's own check of certificate-bound tokens (authenticateRequest on a direct call)", () => {
  let url: string;
  let server: ReturnType<typeof createServiceServer>;
  const verifier = () => createVerifier({ issuer, trustBundle, audience: BACKEND });
  let options: Parameters<typeof authenticateRequest>[2];

  beforeAll(async () => {
    options = { verifier: verifier(), audience: BACKEND };
    const backend = identityOf("backend");
    await backend.ready();
    server = createServiceServer(
      backend,
      (request, response) => {
        void authenticateRequest(request, response, options).then((token) => {
          if (token === undefined) return;
          response.writeHead(200, { "content-type": "application/json" });
          response.end(JSON.stringify({ service: token.service }));
        });
      },
      { allow: ["gateway", "orders", "billing"] },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("accepts a bound token with its own certificate, or forwarded by the gateway; refuses it from another service", async () => {
    const orders = identityOf("orders");
    const tokens = createTokenSource({ issuer, clientId: "orders", auth: { method: "client_secret_post", clientSecret: SECRET }, identity: orders });
    const token = await tokens.getToken({ resource: BACKEND, scopes: ["backend:read"] });
    const headers = { authorization: `Bearer ${token}` };

    const direct = await orders.fetch(url, { headers });
    expect({ status: direct.status, body: (await direct.json()) }).toEqual({ status: 200, body: { service: "orders" } });

    const gateway = identityOf("gateway");
    await gateway.ready();
    expect((await gateway.fetch(url, { headers })).status).toBe(200);

    const billing = identityOf("billing");
    await billing.ready();
    const stolen = await billing.fetch(url, { headers });
    expect(stolen.status).toBe(401);
    expect(stolen.headers.get("www-authenticate")).toContain('error="invalid_token"');
    tokens.close();
  });
});

describe("createTokenSource with a trustBundle and no identity", () => {
  it("trusts the bundle for authFetch as for its token requests (an HTTPS target under the Gatehouse CA, e.g. the revocation feed)", async () => {
    const tokens = createTokenSource({ issuer, clientId: "gateway", auth: { method: "client_secret_basic", clientSecret: SECRET }, trustBundle });
    try {
      const response = await tokens.authFetch(`${issuer}/trust-bundle.pem`, { resource: BACKEND, scopes: ["backend:read"] });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(trustBundle);
    } finally {
      tokens.close();
    }
  });
});
