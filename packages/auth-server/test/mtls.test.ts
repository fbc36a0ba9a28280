import { execFile, execFileSync } from "node:child_process";
import { createPublicKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAuthority, writeCaFile } from "../src/ca/ca-file.js";
import { CertificateAuthority } from "../src/ca/certificate-authority.js";
import { x509 } from "../src/ca/x509.js";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { makeCsr } from "./helpers/csr.js";
import { certificateWithBasic, jwtPayload, tlsFetch, tlsOptions, x5tS256, type TlsIdentity } from "./helpers/mtls.js";
import { memoryLogger } from "./helpers/server.js";

const run = promisify(execFile);
const SECRET = "mtls-secret-0123456789abcdef0123456";
const TRUST_DOMAIN = "mtls.test";
const STORE = { resource: "https://store.internal", scope: "store:read" };
const dir = mkdtempSync(join(tmpdir(), "gatehouse-mtls-"));
const caFile = join(dir, "ca.json");
const log = memoryLogger();
let server: AuthServer;
let issuer: string;
let port: number;
let bundle: string;
let as: oauth.AuthorizationServer;
let orders: TlsIdentity;
let batch: TlsIdentity;

/** The CA's own bootstrap of a `tls_client_auth` service's first certificate (an operator step). */
async function bootstrapCertificate(serviceId: string): Promise<TlsIdentity> {
  const authority = await CertificateAuthority.fromConfig({ file: caFile, generate: "memory", dir, reloadIntervalSeconds: 0 }, TRUST_DOMAIN, log.logger);
  const { keyPem } = await makeCsr();
  const spki = createPublicKey(keyPem).export({ format: "der", type: "spki" });
  const issued = await authority.issue(new x509.PublicKey(new Uint8Array(spki)), { serviceId, spiffeId: `spiffe://${TRUST_DOMAIN}/${serviceId}`, dnsNames: [] }, 3600);
  return { cert: issued.chainPem, key: keyPem };
}

beforeAll(async () => {
  writeCaFile(caFile, { authorities: [await generateAuthority(TRUST_DOMAIN, new Date())] });
  const config = parseAuthServerConfig(
    {
      trustDomain: TRUST_DOMAIN,
      keys: { generate: "memory" },
      ca: { file: caFile },
      tls: { fromCa: true },
      services: {
        store: { resource: STORE.resource, scopes: [STORE.scope], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
        orders: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { store: [STORE.scope] }, dnsNames: ["orders.internal"] },
        batch: { auth: { method: "tls_client_auth" }, allow: { store: [STORE.scope] } },
        ledger: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { store: [STORE.scope] }, certificateBoundTokens: true },
      },
    },
    "mtls.yaml",
  );
  server = createAuthServer(config, { logger: log.logger, env: { SECRET } });
  ({ issuer, port } = await server.listen(0));
  // The trust bundle is public; its first fetch verifies the server against the CA file's root.
  const root = (JSON.parse(readFileSync(caFile, "utf8")) as { authorities: { certificate: string }[] }).authorities[0]?.certificate ?? "";
  bundle = await (await tlsFetch(root)(`${issuer}/trust-bundle.pem`)).text();
  as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...tlsOptions(bundle) }));
  orders = await certificateWithBasic(`${issuer}/certificates`, bundle, "orders", SECRET);
  batch = await bootstrapCertificate("batch");
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (clientId: string, auth: oauth.ClientAuth, identity?: TlsIdentity) =>
  oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, STORE, tlsOptions(bundle, identity));

async function accessToken(response: Response, clientId: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  const body = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, response);
  return jwtPayload(body.access_token);
}

async function oauthError(response: Response): Promise<{ status: number; error: string }> {
  const body = (await response.json()) as { error: string };
  return { status: response.status, error: body.error };
}

describe("mutual TLS at the token endpoint (RFC 8705)", () => {
  it("serves HTTPS with a certificate from its own CA and advertises tls_client_auth and bound tokens", () => {
    expect(issuer).toBe(`https://127.0.0.1:${port}`);
    expect(as.token_endpoint_auth_methods_supported).toContain("tls_client_auth");
    expect((as as Record<string, unknown>)["tls_client_certificate_bound_access_tokens"]).toBe(true);
  });

  it("binds a token asked over mTLS to the client certificate (cnf.x5t#S256), and leaves one asked without it unbound", async () => {
    const bound = await accessToken(await token("orders", oauth.ClientSecretBasic(SECRET), orders), "orders");
    expect(bound["cnf"]).toEqual({ "x5t#S256": x5tS256(orders.cert) });
    const bearer = await accessToken(await token("orders", oauth.ClientSecretBasic(SECRET)), "orders");
    expect(bearer["cnf"]).toBeUndefined();
  });

  it("binds nothing to a certificate naming another service (the gateway forwarding a caller's token request)", async () => {
    const claims = await accessToken(await token("orders", oauth.ClientSecretBasic(SECRET), batch), "orders");
    expect(claims["sub"]).toBe("orders");
    expect(claims["cnf"]).toBeUndefined();
  });

  it("authenticates a tls_client_auth service by the SPIFFE ID of its certificate alone, and binds its token", async () => {
    const claims = await accessToken(await token("batch", oauth.TlsClientAuth(), batch), "batch");
    expect(claims["sub"]).toBe("batch");
    expect(claims["cnf"]).toEqual({ "x5t#S256": x5tS256(batch.cert) });
  });

  it("refuses tls_client_auth without a certificate, with another service's certificate, or with a self-signed one: 401 invalid_client", async () => {
    expect(await oauthError(await token("batch", oauth.TlsClientAuth()))).toEqual({ status: 401, error: "invalid_client" });
    expect(await oauthError(await token("batch", oauth.TlsClientAuth(), orders))).toEqual({ status: 401, error: "invalid_client" });
    const selfSigned = selfSignedFor(`spiffe://${TRUST_DOMAIN}/batch`);
    expect(await oauthError(await token("batch", oauth.TlsClientAuth(), selfSigned))).toEqual({ status: 401, error: "invalid_client" });
  });

  it("refuses a certificateBoundTokens service without a client certificate with 400 invalid_request, and binds it with one", async () => {
    expect(await oauthError(await token("ledger", oauth.ClientSecretBasic(SECRET)))).toEqual({ status: 400, error: "invalid_request" });
    const ledger = await certificateWithBasic(`${issuer}/certificates`, bundle, "ledger", SECRET);
    const claims = await accessToken(await token("ledger", oauth.ClientSecretBasic(SECRET), ledger), "ledger");
    expect(claims["cnf"]).toEqual({ "x5t#S256": x5tS256(ledger.cert) });
  });

  it("renews a certificate with nothing but the current certificate over mTLS", async () => {
    const { der, keyPem } = await makeCsr();
    const response = await tlsFetch(bundle, orders)(`${issuer}/certificates`, { method: "POST", headers: { "content-type": "application/pkcs10" }, body: der.toString("base64") });
    expect(response.status).toBe(200);
    const renewed = new X509Certificate(await response.text());
    expect(renewed.subjectAltName).toBe(`URI:spiffe://${TRUST_DOMAIN}/orders, DNS:orders.internal`);
    expect(renewed.serialNumber).not.toBe(new X509Certificate(orders.cert).serialNumber);
    expect(renewed.publicKey.export({ format: "der", type: "spki" })).toEqual(createPublicKey(keyPem).export({ format: "der", type: "spki" }));
    // A self-signed certificate naming orders renews nothing.
    const forged = await tlsFetch(bundle, selfSignedFor(`spiffe://${TRUST_DOMAIN}/orders`))(`${issuer}/certificates`, {
      method: "POST",
      headers: { "content-type": "application/pkcs10" },
      body: der.toString("base64"),
    });
    expect(await oauthError(forged)).toEqual({ status: 401, error: "invalid_client" });
  });

  it("interoperates with curl --cert (bound token) and openssl s_client (verified both ways)", async () => {
    const files = writeIdentity("orders", orders);
    const { stdout } = await run("curl", [
      "-sS", "--cacert", files.bundle, "--cert", files.cert, "--key", files.key, "-u", `orders:${SECRET}`,
      "-d", "grant_type=client_credentials", "--data-urlencode", `resource=${STORE.resource}`, "-d", `scope=${STORE.scope}`,
      `${issuer}/token`,
    ]);
    const body = JSON.parse(stdout) as { access_token: string };
    expect(jwtPayload(body.access_token)["cnf"]).toEqual({ "x5t#S256": x5tS256(orders.cert) });

    const { stdout: handshake } = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${port} -CAfile ${files.bundle} -cert ${files.cert} -key ${files.key} -verify_return_error -showcerts < /dev/null 2>&1`]);
    expect(handshake).toContain("Verify return code: 0 (ok)");
    expect(handshake).toMatch(/Acceptable client certificate CA names\n.*Gatehouse CA mtls\.test/);
  });

  it("survives bad handshakes (garbage, TLS 1.0, an unknown CA's certificate) and logs them", async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.end("GET / HTTP/1.1\r\n\r\n"));
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    const old = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${port} -tls1 < /dev/null 2>&1; true`]);
    expect(old.stdout).toMatch(/alert protocol version|no protocols available|unsupported protocol/);
    // A certificate from another CA: the handshake succeeds (client certificates are optional) but it authenticates nothing.
    const stranger = selfSignedFor(`spiffe://${TRUST_DOMAIN}/orders`);
    expect(await oauthError(await token("orders", oauth.ClientSecretBasic("wrong-secret-0123456789abcdef"), stranger))).toEqual({ status: 401, error: "invalid_client" });
    const health = await tlsFetch(bundle)(`${issuer}/healthz`);
    expect(health.status).toBe(200);
    expect(log.lines.some((line) => line["msg"] === "TLS handshake failed")).toBe(true);
  });
});

function writeIdentity(name: string, identity: TlsIdentity): { cert: string; key: string; bundle: string } {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), bundle: join(dir, "bundle.pem") };
  writeFileSync(files.cert, identity.cert);
  writeFileSync(files.key, identity.key, { mode: 0o600 });
  writeFileSync(files.bundle, bundle);
  return files;
}

/** A self-signed certificate carrying a SPIFFE ID: what an attacker without the CA can make. */
function selfSignedFor(spiffeId: string): TlsIdentity {
  const key = join(dir, "forged.key");
  const cert = join(dir, "forged.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=forged", "-days", "1", "-addext", `subjectAltName=URI:${spiffeId}`, "-addext", "extendedKeyUsage=clientAuth"], { stdio: "ignore" });
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

describe("the HTTPS listener's own certificate", () => {
  it("is renewed at half its lifetime without a restart (setSecureContext)", async () => {
    const file = join(dir, "renewal-ca.json");
    writeCaFile(file, { authorities: [await generateAuthority(TRUST_DOMAIN, new Date())] });
    const renewing = createAuthServer(
      parseAuthServerConfig({ trustDomain: TRUST_DOMAIN, keys: { generate: "memory" }, ca: { file, reloadIntervalSeconds: 1 }, certificates: { ttlSeconds: 5 }, tls: { fromCa: true } }, "renewal.yaml"),
      { logger: memoryLogger().logger },
    );
    const { port: renewingPort } = await renewing.listen(0);
    try {
      const serverCertificate = async () => {
        const { stdout } = await run("sh", ["-c", `openssl s_client -connect 127.0.0.1:${renewingPort} < /dev/null 2>/dev/null | openssl x509 -noout -serial -ext subjectAltName`]);
        return stdout;
      };
      const first = await serverCertificate();
      expect(first).toContain(`URI:spiffe://${TRUST_DOMAIN}/gatehouse-auth`);
      expect(first).toContain("IP Address:127.0.0.1");
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const second = await serverCertificate();
      expect(second).toContain(`URI:spiffe://${TRUST_DOMAIN}/gatehouse-auth`);
      expect(second.split("\n")[0]).not.toBe(first.split("\n")[0]);
    } finally {
      await renewing.close();
    }
  });
});
