// The gateway over TLS with client certificates: certificate-bound tokens (RFC 8705) accepted only with their
// certificate, SPIFFE ID = sub, routes that take bound tokens only, and bad handshakes that never crash it. Everything
// real: the auth server on HTTPS with its own CA, SDK identities, curl and openssl.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Server } from "node:https";
import type { AddressInfo } from "node:net";
import { TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createServiceIdentity, createServiceServer, createTokenSource, spiffeIdOf, type ServiceIdentity, type TokenSource } from "@gatehouse/sdk";
import { pino } from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "../helpers/backend.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";

const run = promisify(execFile);
const SECRET = "gateway-tls-secret-0123456789abcdef";
const ORDERS = "https://orders.internal";
const dir = mkdtempSync(join(tmpdir(), "gatehouse-gw-tls-"));
let auth: AuthServer;
let issuer: string;
let bundleFile: string;
let backend: Backend;
let secureBackend: Server;
let secureUrl: string;
let gw: RunningGateway;
let base: string;
const identities: Record<string, ServiceIdentity> = {};
const sources: TokenSource[] = [];

beforeAll(async () => {
  auth = createAuthServer(
    parseAuthServerConfig(
      {
        trustDomain: "gw.test",
        keys: { generate: "memory" },
        ca: { generate: "memory" },
        tls: { fromCa: true },
        services: {
          orders: { resource: ORDERS, scopes: ["orders:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
          gateway: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, dnsNames: ["localhost"] },
          inventory: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { orders: ["orders:read"] } },
          billing: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { orders: ["orders:read"] } },
          backend: { auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
        },
      },
      "auth.yaml",
    ),
    { logger: pino({ level: "silent" }), env: { SECRET } },
  );
  ({ issuer } = await auth.listen(0));
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  const bundle = await (await undiciFetch(`${issuer}/trust-bundle.pem`, { dispatcher: insecure })).text();
  await insecure.close();
  bundleFile = join(dir, "bundle.pem");
  writeFileSync(bundleFile, bundle);
  for (const id of ["gateway", "inventory", "billing", "backend"]) {
    identities[id] = createServiceIdentity({ issuer, clientId: id, auth: { method: "client_secret_basic", clientSecret: SECRET }, trustBundle: bundle });
    await identities[id].ready();
  }
  // The gateway's listener certificate: from its own identity, written where listener.tls reads it.
  const gatewayTls = identities["gateway"]!.tlsOptions();
  writeFileSync(join(dir, "gateway.pem"), gatewayTls.cert);
  writeFileSync(join(dir, "gateway.key"), gatewayTls.key, { mode: 0o600 });

  backend = await startBackend("orders");
  // A TLS backend that accepts the gateway only (the SDK's createServiceServer).
  secureBackend = createServiceServer(identities["backend"]!, (request, response) => {
    const peer = request.socket instanceof TLSSocket ? request.socket.getPeerX509Certificate() : undefined;
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ caller: peer === undefined ? null : spiffeIdOf(peer) }));
  }, { allow: ["gateway"] });
  await new Promise<void>((resolve) => secureBackend.listen(0, "127.0.0.1", resolve));
  secureUrl = `https://127.0.0.1:${String((secureBackend.address() as AddressInfo).port)}`;
  gw = await startGateway(
    {
      issuer,
      verifier: { trustBundleFile: bundleFile },
      proxy: { tls: { trustBundleFile: bundleFile, certFile: join(dir, "gateway.pem"), keyFile: join(dir, "gateway.key") } },
      listener: { tls: { certFile: join(dir, "gateway.pem"), keyFile: join(dir, "gateway.key"), clientCertificates: "optional", trustBundleFile: bundleFile } },
      routes: [
        { name: "orders", pathPrefix: "/api/orders", upstreams: [backend.url], audience: ORDERS, policy: { scopes: ["orders:read"] } },
        { name: "orders-bound", pathPrefix: "/api/bound", upstreams: [backend.url], audience: ORDERS, policy: { scopes: ["orders:read"], boundTokens: true } },
        { name: "secure", pathPrefix: "/api/secure", upstreams: [secureUrl], audience: ORDERS, upstreamIdentity: "spiffe://gw.test/backend" },
        { name: "impostor", pathPrefix: "/api/impostor", upstreams: [secureUrl], audience: ORDERS, upstreamIdentity: "spiffe://gw.test/billing" },
      ],
    },
    { redis: false },
  );
  base = `https://localhost:${String(gw.port)}`;
});

afterAll(async () => {
  for (const source of sources) source.close();
  await plainAgent?.close();
  for (const identity of Object.values(identities)) identity.close();
  await gw.close();
  await backend.close();
  await new Promise((resolve) => secureBackend.close(resolve));
  await auth.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A token for orders: bound to the caller's certificate when `bound`. */
async function tokenOf(id: string, bound: boolean): Promise<string> {
  const source = createTokenSource({
    issuer,
    clientId: id,
    auth: { method: "client_secret_basic", clientSecret: SECRET },
    ...(bound ? { identity: identities[id]! } : { trustBundle: bundleFile }),
  });
  sources.push(source);
  return source.getToken({ resource: ORDERS, scopes: ["orders:read"] });
}

/** GET through the gateway presenting `as`'s certificate (or none). */
async function call(path: string, token: string, as?: string): Promise<{ status: number; challenge: string | null; body: unknown }> {
  backend.seen.length = 0;
  const send = as === undefined ? plain : identities[as]!.fetch;
  const response = await send(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.json() };
}

let plainAgent: Agent | undefined;
/** A TLS client trusting the bundle, presenting no certificate. */
const plain = async (url: string, init?: RequestInit): Promise<Response> => {
  plainAgent ??= new Agent({ connect: { ca: readFileSync(bundleFile, "utf8") } });
  const response = await undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: plainAgent });
  return new Response(await response.arrayBuffer(), { status: response.status, headers: [...response.headers] });
};

describe("certificate-bound tokens at the gateway", () => {
  it("forwards a bound token presented with its certificate", async () => {
    const token = await tokenOf("inventory", true);
    const answer = await call("/api/orders/1", token, "inventory");
    expect(answer.status).toBe(200);
    expect(backend.seen).toHaveLength(1);
  });

  it("refuses a bound token without a client certificate, or with another service's: 401 invalid_token, nothing forwarded", async () => {
    const token = await tokenOf("inventory", true);
    const without = await call("/api/orders/1", token);
    expect(without.status).toBe(401);
    expect(without.challenge).toMatch(/^Bearer realm="[^"]+", error="invalid_token", error_description="the token is certificate-bound/);
    expect(backend.seen).toEqual([]);
    const other = await call("/api/orders/1", token, "billing");
    expect(other.status).toBe(401);
    expect(other.body).toMatchObject({ error: "invalid_token" });
    expect(backend.seen).toEqual([]);
  });

  it("refuses a client certificate whose SPIFFE ID is not the token's sub", async () => {
    const billingBearer = await tokenOf("billing", false);
    expect((await call("/api/orders/1", billingBearer, "billing")).status).toBe(200);
    const mismatch = await call("/api/orders/1", billingBearer, "inventory");
    expect(mismatch.status).toBe(401);
    expect(mismatch.challenge).toContain("is not the token's service's");
    expect(backend.seen).toEqual([]);
  });

  it("lets a boundTokens route refuse unbound tokens and accept bound ones", async () => {
    const bearer = await tokenOf("billing", false);
    const refused = await call("/api/bound/1", bearer, "billing");
    expect(refused.status).toBe(401);
    expect(refused.challenge).toContain("certificate-bound tokens only");
    const bound = await tokenOf("inventory", true);
    expect((await call("/api/bound/1", bound, "inventory")).status).toBe(200);
  });

  it("works with curl --cert and refuses the same token without it", async () => {
    const token = await tokenOf("inventory", true);
    const tls = identities["inventory"]!.tlsOptions();
    writeFileSync(join(dir, "inventory.pem"), tls.cert);
    writeFileSync(join(dir, "inventory.key"), tls.key, { mode: 0o600 });
    const curl = (extra: string[]) =>
      run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", bundleFile, ...extra, "-H", `authorization: Bearer ${token}`, `${base}/api/orders/1`]);
    expect((await curl(["--cert", join(dir, "inventory.pem"), "--key", join(dir, "inventory.key")])).stdout).toBe("200");
    expect((await curl([])).stdout).toBe("401");
  });

  it("answers bad handshakes with a TLS alert and keeps serving", async () => {
    const old = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${String(gw.port)} -tls1_2 < /dev/null 2>&1; true`]);
    expect(old.stdout).toMatch(/alert protocol version|no protocols available|unsupported protocol/);
    const health = await fetch(`${gw.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(gw.logs.some((line) => line["msg"] === "TLS handshake failed")).toBe(true);
    const token = await tokenOf("inventory", true);
    expect((await call("/api/orders/1", token, "inventory")).status).toBe(200);
  });
});

describe("https upstreams", () => {
  it("reaches a backend that accepts the gateway only, presenting the gateway's certificate, its SPIFFE ID pinned", async () => {
    const token = await tokenOf("inventory", true);
    const answer = await call("/api/secure/x", token, "inventory");
    expect(answer).toMatchObject({ status: 200, body: { caller: "spiffe://gw.test/gateway" } });
  });

  it("answers 502 when the upstream's certificate names another SPIFFE ID than the pinned one", async () => {
    const token = await tokenOf("inventory", true);
    const answer = await call("/api/impostor/x", token, "inventory");
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ error: "bad_gateway" });
  });
});

describe("the listener's certificate", () => {
  it("is re-read from its files and served without a restart", async () => {
    const certFile = join(dir, "renew.pem");
    const keyFile = join(dir, "renew.key");
    const first = identities["gateway"]!.tlsOptions();
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key, { mode: 0o600 });
    const renewing = await startGateway(
      { issuer, verifier: { trustBundleFile: bundleFile }, listener: { tls: { certFile, keyFile, clientCertificates: "off", reloadIntervalSeconds: 1 } }, routes: [{ name: "any", pathPrefix: "/", upstreams: [backend.url], audience: ORDERS }] },
      { redis: false },
    );
    try {
      const served = async () => {
        const { stdout } = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${String(renewing.port)} < /dev/null 2>/dev/null | openssl x509 -noout -serial`]);
        return stdout.trim();
      };
      const before = await served();
      // A second certificate for the gateway, as a renewal writes it.
      const next = createServiceIdentity({ issuer, clientId: "gateway", auth: { method: "client_secret_basic", clientSecret: SECRET }, trustBundle: bundleFile });
      await next.ready();
      identities["gateway-next"] = next;
      writeFileSync(certFile, next.tlsOptions().cert);
      writeFileSync(keyFile, next.tlsOptions().key, { mode: 0o600 });
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const after = await served();
      expect(after).toMatch(/^serial=/);
      expect(after).not.toBe(before);
      expect(after.replace("serial=", "")).toBe(new X509Certificate(next.tlsOptions().cert).serialNumber);
    } finally {
      await renewing.close();
    }
  });
});

describe("fromIssuer", () => {
  it("serves and calls upstreams with the gateway's own certificate, made and renewed in the process", async () => {
    process.env["GATEHOUSE_TEST_GATEWAY_SECRET"] = SECRET;
    const own = await startGateway(
      {
        issuer,
        identity: { clientId: "gateway", secretEnv: "GATEHOUSE_TEST_GATEWAY_SECRET" },
        verifier: { trustBundleFile: bundleFile },
        listener: { tls: { fromIssuer: true } },
        proxy: { tls: { fromIssuer: true } },
        routes: [{ name: "secure", pathPrefix: "/api/secure", upstreams: [secureUrl], audience: ORDERS, upstreamIdentity: "spiffe://gw.test/backend" }],
      },
      { redis: false },
    );
    try {
      const { stdout } = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${String(own.port)} -CAfile ${bundleFile} < /dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName`]);
      expect(stdout).toContain("URI:spiffe://gw.test/gateway");
      const token = await tokenOf("inventory", true);
      const response = await identities["inventory"]!.fetch(`https://localhost:${String(own.port)}/api/secure/x`, { headers: { authorization: `Bearer ${token}` } });
      expect({ status: response.status, body: (await response.json()) }).toEqual({ status: 200, body: { caller: "spiffe://gw.test/gateway" } });
    } finally {
      await own.close();
      delete process.env["GATEHOUSE_TEST_GATEWAY_SECRET"];
    }
  });
});

describe("clientCertificates: require", () => {
  it("completes no handshake without a Gatehouse certificate (none, self-signed) and serves one that has it", async () => {
    const strict = await startGateway(
      {
        issuer,
        verifier: { trustBundleFile: bundleFile },
        listener: { tls: { certFile: join(dir, "gateway.pem"), keyFile: join(dir, "gateway.key"), clientCertificates: "require", trustBundleFile: bundleFile } },
        routes: [{ name: "orders", pathPrefix: "/api/orders", upstreams: [backend.url], audience: ORDERS }],
      },
      { redis: false },
    );
    try {
      const url = `https://localhost:${String(strict.port)}/api/orders/1`;
      const token = await tokenOf("inventory", true);
      const curl = (extra: string[]) =>
        run("sh", ["-c", `curl -sS -o /dev/null -w '%{http_code}' --cacert ${bundleFile} ${extra.join(" ")} -H 'authorization: Bearer ${token}' ${url} 2>&1; true`]);
      const without = await curl([]);
      expect(without.stdout).toMatch(/000$/);
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "forged.key"), "-out", join(dir, "forged.pem"), "-subj", "/CN=forged", "-days", "1", "-addext", "subjectAltName=URI:spiffe://gw.test/inventory"], { stdio: "ignore" });
      const forged = await curl(["--cert", join(dir, "forged.pem"), "--key", join(dir, "forged.key")]);
      expect(forged.stdout).toMatch(/000$/);
      backend.seen.length = 0;
      const inventory = identities["inventory"]!;
      const response = await inventory.fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      expect(backend.seen).toHaveLength(1);
      expect(strict.logs.filter((line) => line["msg"] === "TLS handshake failed").length).toBeGreaterThanOrEqual(2);
    } finally {
      await strict.close();
    }
  });
});
