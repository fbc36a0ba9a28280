import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CERTIFICATE_GRANT_TYPE } from "../src/ca/certificate-grant.js";
import { makeCsr } from "./helpers/csr.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, startServer, type ServiceKey, type Started } from "./helpers/server.js";

const SECRET = "orders-secret-0123456789abcdef0123";
const dir = mkdtempSync(join(tmpdir(), "gatehouse-certificates-"));
const log = memoryLogger();
let started: Started;
let batchKey: ServiceKey;
let endpoint: string;
let bundleUri: string;

beforeAll(async () => {
  batchKey = await serviceKey("batch-1");
  started = await startServer(
    {
      keys: { generate: "memory" },
      ca: { generate: "memory" },
      services: {
        orders: {
          resource: "https://orders.internal",
          scopes: ["orders:read"],
          auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" },
          dnsNames: ["orders.internal", "orders"],
        },
        payments: { resource: "https://payments.internal", scopes: ["pay"], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } },
        batch: { auth: { method: "private_key_jwt", jwks: { keys: [batchKey.publicJwk] } }, allow: { orders: ["orders:read"] } },
      },
    },
    { env: { ORDERS_SECRET: SECRET }, logger: log.logger },
  );
  const metadata = started.as as Record<string, unknown>;
  endpoint = metadata["gatehouse_certificate_endpoint"] as string;
  bundleUri = metadata["gatehouse_trust_bundle_uri"] as string;
});

afterAll(async () => {
  await started.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

/** POSTs a CSR as RFC 7030 `application/pkcs10` (base64 DER). */
function postPkcs10(der: Buffer, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/pkcs10" };
  if (authorization !== undefined) headers["authorization"] = authorization;
  return fetch(endpoint, { method: "POST", headers, body: der.toString("base64").replace(/.{64}/g, "$&\n") });
}

async function bundle(): Promise<X509Certificate[]> {
  const text = await (await fetch(bundleUri)).text();
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

async function expectOAuthError(response: Response, status: number, error: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  return body.error_description;
}

describe("certificate endpoint", () => {
  it("is named in discovery beside a public trust bundle, and its grant is not advertised as a token grant", async () => {
    const metadata = started.as as Record<string, unknown>;
    expect(endpoint).toBe(`${started.issuer}/certificates`);
    expect(bundleUri).toBe(`${started.issuer}/trust-bundle.pem`);
    expect(metadata["grant_types_supported"]).toEqual(["client_credentials"]);
    const response = await fetch(bundleUri);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pem-certificate-chain");
    const [ca] = await bundle();
    expect(ca?.ca).toBe(true);
  });

  it("signs an application/pkcs10 CSR authenticated with HTTP Basic: SPIFFE ID and registered DNS names, one hour, a working TLS identity", async () => {
    const { der, keyPem } = await makeCsr({ subject: "CN=payments" });
    const response = await postPkcs10(der, basic("orders", SECRET));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pem-certificate-chain");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const chainPem = await response.text();
    const leaf = new X509Certificate(chainPem);
    expect(leaf.subject).toBe("CN=orders");
    expect(leaf.subjectAltName).toBe("URI:spiffe://127.0.0.1/orders, DNS:orders.internal, DNS:orders");
    expect(leaf.ca).toBe(false);
    const lifetime = (Date.parse(leaf.validTo) - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(3590);
    expect(lifetime).toBeLessThanOrEqual(3600);
    const [ca] = await bundle();
    expect(leaf.checkIssued(ca!)).toBe(true);
    expect(leaf.verify(ca!.publicKey)).toBe(true);

    // openssl, a verifier that is not ours, accepts it for TLS client use against the trust bundle.
    const leafFile = join(dir, "orders.pem");
    const bundleFile = join(dir, "bundle.pem");
    writeFileSync(leafFile, chainPem);
    writeFileSync(bundleFile, await (await fetch(bundleUri)).text());
    expect(execFileSync("openssl", ["verify", "-purpose", "sslclient", "-CAfile", bundleFile, leafFile], { encoding: "utf8" })).toContain(": OK");

    // A real mutual TLS handshake: a server trusting only the bundle accepts the certificate.
    const peer = await handshake(chainPem, keyPem, ca!.toString());
    expect(peer.authorized).toBe(true);
    expect(peer.uri).toBe("spiffe://127.0.0.1/orders");

    const audit = log.lines.find((line) => line["event"] === "certificate.issued" && String(line["serial"]).toUpperCase() === leaf.serialNumber);
    expect(audit).toMatchObject({ audit: true, client: "orders", spiffeId: "spiffe://127.0.0.1/orders", notAfter: new Date(leaf.validTo).toISOString() });
  });

  it("signs a form csr beside a private_key_jwt client assertion sent by oauth4webapi", async () => {
    const { der } = await makeCsr({ key: "Ed25519", uris: ["spiffe://127.0.0.1/batch"] });
    const as = { ...started.as, token_endpoint: endpoint };
    const response = await oauth.genericTokenEndpointRequest(
      as,
      { client_id: "batch" },
      oauth.PrivateKeyJwt({ key: batchKey.privateKey, kid: "batch-1" }),
      CERTIFICATE_GRANT_TYPE,
      { csr: der.toString("base64url") },
      PLAIN_HTTP,
    );
    expect(response.status).toBe(200);
    const leaf = new X509Certificate(await response.text());
    expect(leaf.subjectAltName).toBe("URI:spiffe://127.0.0.1/batch");
  });

  it("refuses an unauthenticated request or a wrong secret with 401 invalid_client", async () => {
    const { der } = await makeCsr();
    const anonymous = await postPkcs10(der);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="gatehouse"');
    await expectOAuthError(anonymous, 401, "invalid_client");
    await expectOAuthError(await postPkcs10(der, basic("orders", "wrong-secret-0123456789abcdef")), 401, "invalid_client");
    expect(log.lines.some((line) => line["event"] === "client_auth.failed" && line["client"] === "orders")).toBe(true);
  });

  it.each([
    ["an RSA key under 2048 bits", { key: "RSA-1024" as const }, /RSA key of 1024 bits/],
    ["an unsupported curve", { key: "P-521" as const }, /unsupported curve P-521/],
    ["a URI SAN of another service", { uris: ["spiffe://127.0.0.1/payments"] }, /spiffe:\/\/127\.0\.0\.1\/payments/],
    ["its own SPIFFE ID in another trust domain", { uris: ["spiffe://elsewhere.example/orders"] }, /elsewhere\.example/],
    ["a DNS name it has not registered", { dnsNames: ["payments.internal"] }, /payments\.internal/],
  ])("refuses a CSR with %s: 400 invalid_request, audited", async (_name, options, description) => {
    const { der } = await makeCsr(options);
    expect(await expectOAuthError(await postPkcs10(der, basic("orders", SECRET)), 400, "invalid_request")).toMatch(description);
    expect(log.lines.at(-1)).toMatchObject({ event: "certificate.refused", client: "orders", error: "invalid_request" });
  });

  it("accepts an RSA-2048 key and its own SANs", async () => {
    const { der } = await makeCsr({ key: "RSA-2048", uris: ["spiffe://127.0.0.1/orders"], dnsNames: ["orders"] });
    const response = await postPkcs10(der, basic("orders", SECRET));
    expect(response.status).toBe(200);
  });

  it("refuses a CSR whose signature does not verify, or that is not a CSR", async () => {
    const { der } = await makeCsr();
    const tampered = Buffer.from(der);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0xff;
    expect(await expectOAuthError(await postPkcs10(tampered, basic("orders", SECRET)), 400, "invalid_request")).toMatch(/signature/);
    expect(await expectOAuthError(await postPkcs10(Buffer.from("not a csr"), basic("orders", SECRET)), 400, "invalid_request")).toMatch(/PKCS#10/);
    const form = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("orders", SECRET) },
      body: "csr=%%%",
    });
    expect(await expectOAuthError(form, 400, "invalid_request")).toMatch(/base64/);
  });

  it("refuses another body type or another grant with 400 invalid_request, and other methods with 405", async () => {
    const json = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json", authorization: basic("orders", SECRET) }, body: "{}" });
    expect(await expectOAuthError(json, 400, "invalid_request")).toMatch(/application\/pkcs10/);
    const grant = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("orders", SECRET) },
      body: "grant_type=client_credentials&resource=https%3A%2F%2Fpayments.internal",
    });
    expect(await expectOAuthError(grant, 400, "invalid_request")).toMatch(/grant_type/);
    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});

/** A TLS server that requires a client certificate from `ca`; resolves with what it saw of the client. */
async function handshake(certPem: string, keyPem: string, caPem: string): Promise<{ authorized: boolean; uri: string | undefined }> {
  const server = createServer({ ...serverIdentity(), requestCert: true, rejectUnauthorized: true, ca: caPem });
  const seen = new Promise<{ authorized: boolean; uri: string | undefined }>((resolve) => {
    server.once("secureConnection", (socket: TLSSocket) => {
      const uri = socket.getPeerX509Certificate()?.subjectAltName?.match(/URI:(\S+?)(?:,|$)/)?.[1];
      resolve({ authorized: socket.authorized, uri });
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = connect({ port, host: "127.0.0.1", cert: certPem, key: keyPem, rejectUnauthorized: false });
  client.on("error", () => undefined);
  try {
    return await seen;
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A throwaway self-signed server certificate (the client does not verify it here). */
function serverIdentity(): { cert: string; key: string } {
  const keyFile = join(dir, "server.key");
  const certFile = join(dir, "server.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=test", "-days", "1"], { stdio: "ignore" });
  return { cert: execFileSync("cat", [certFile], { encoding: "utf8" }), key: execFileSync("cat", [keyFile], { encoding: "utf8" }) };
}
