// A service identity keeps renewing its certificate across a CA rotation (`gatehouse-auth ca rotate`) of an auth server
// on HTTPS whose own listener certificate comes from its CA: after the switch that certificate is signed by the new CA,
// which the `trustBundle` the service started with does not hold; the renewal must trust the bundle it fetched last.
// Between renewals the identity re-reads the bundle (`trustBundleRefreshSeconds`), so it trusts a new CA before that
// CA signs anything even when its certificate lives much longer than the rotation's delay.
// Real parts: the built CLI, auth servers on HTTPS, the SDK identity, certificates living 6 s and 10 minutes.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createServiceIdentity, type ServiceIdentity } from "@gatehouse/sdk";
import { createLogger } from "@gatehouse/service-kit";
import { afterAll, describe, expect, it } from "vitest";
import { authCli, publishedTrustBundle } from "../helpers/trust-bootstrap.js";

const SECRET = "rotation-renewal-secret-0123456789";
const TRUST_DOMAIN = "rotation.test";
const TTL = 6;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-ca-renewal-"));
const identities: ServiceIdentity[] = [];
const servers: AuthServer[] = [];

/** An auth server on HTTPS with a CA file of its own, re-read every second, issuing certificates living `ttl` s. */
async function startAuth(name: string, ttl: number): Promise<{ issuer: string; caFile: string }> {
  const caFile = join(dir, `${name}.json`);
  await authCli("ca", "generate", "--file", caFile, "--trust-domain", TRUST_DOMAIN);
  const auth = createAuthServer(
    parseAuthServerConfig(
      {
        trustDomain: TRUST_DOMAIN,
        keys: { generate: "memory" },
        ca: { file: caFile, reloadIntervalSeconds: 1 },
        certificates: { ttlSeconds: ttl },
        tls: { fromCa: true },
        services: { orders: { auth: { method: "client_secret_basic", secretEnv: "SECRET" } } },
      },
      `${name}.yaml`,
    ),
    { logger: createLogger("auth-server", { level: "silent" }), env: { SECRET } },
  );
  servers.push(auth);
  const { issuer } = await auth.listen(0, "127.0.0.1");
  return { issuer, caFile };
}

/** The identity of `orders`, bootstrapped with the bundle fetched once without verification, as an operator would copy it. */
async function startIdentity(issuer: string, trustBundleRefreshSeconds: number): Promise<ServiceIdentity> {
  const identity = createServiceIdentity({
    issuer,
    clientId: "orders",
    auth: { method: "client_secret_basic", clientSecret: SECRET },
    trustBundle: await publishedTrustBundle(issuer),
    trustBundleRefreshSeconds,
  });
  identities.push(identity);
  await identity.ready();
  return identity;
}

const certificatesIn = (pem: string) => pem.split("-----BEGIN CERTIFICATE-----").length - 1;

afterAll(async () => {
  for (const identity of identities) identity.close();
  await Promise.all(servers.map((server) => server.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe("certificate renewal across a CA rotation", () => {
  it("trusts a CA published by a rotation within seconds, long before its 10-minute certificate is renewed", async () => {
    const { issuer, caFile } = await startAuth("long-lived", 600);
    const identity = await startIdentity(issuer, 1);
    const before = identity.tlsOptions();
    expect(certificatesIn(before.ca)).toBe(1);
    const changed = new Promise<{ cert: string; ca: string }>((resolve) => identity.onRotate((tls) => resolve(tls)));
    await authCli("ca", "rotate", "--file", caFile, "--trust-domain", TRUST_DOMAIN, "--delay", "300", "--retire-after", "900");
    const tls = await changed;
    // The same certificate (no renewal for five minutes yet), the new bundle: both CAs, as the server publishes them.
    expect(tls.cert).toBe(before.cert);
    expect(certificatesIn(tls.ca)).toBe(2);
    expect(tls.ca).toContain(before.ca.trim().split("\n")[1]);
    expect(identity.tlsOptions().ca).toBe(tls.ca);
  }, 30_000);

  it("renews from the new CA after the auth server's own certificate moved to it, with the first trust bundle only", async () => {
    const { issuer, caFile } = await startAuth("short-lived", TTL);
    const identity = await startIdentity(issuer, 1);
    const oldCa = new X509Certificate(identity.tlsOptions().ca);

    await authCli("ca", "rotate", "--file", caFile, "--trust-domain", TRUST_DOMAIN, "--delay", "3", "--retire-after", String(TTL + 2));
    // Wait until the old CA left the bundle: by then the auth server's own certificate is from the new CA.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await publishedTrustBundle(issuer);
      if (!current.includes(oldCa.toString().split("\n")[1] ?? "") && current.includes("BEGIN CERTIFICATE")) break;
      if (Date.now() > deadline) throw new Error("the old CA never left the trust bundle");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Two more renewals (half-life: 3 s each), both from the new CA; a bundle change alone repeats the certificate.
    const renewals = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${String(renewals.size)} renewal(s) within ${String(8 * TTL)} s after the rotation`)), 8 * TTL * 1_000);
      identity.onRotate((tls) => {
        renewals.add(tls.cert);
        if (renewals.size === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const newCa = new X509Certificate((await publishedTrustBundle(issuer)).trim());
    for (const cert of renewals) expect(new X509Certificate(cert).verify(newCa.publicKey)).toBe(true);
    expect(new X509Certificate(identity.tlsOptions().cert).validToDate.getTime()).toBeGreaterThan(Date.now());
  }, 120_000);
});
