// A service identity keeps renewing its certificate across a CA rotation (`gatehouse-auth ca rotate`) of an auth server
// on HTTPS whose own listener certificate comes from its CA: after the switch that certificate is signed by the new CA,
// which the `trustBundle` the service started with does not hold; the renewal must trust the bundle it fetched last.
// Real parts: the built CLI, the auth server on HTTPS, the SDK identity, certificates living 6 s.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createServiceIdentity, type ServiceIdentity } from "@gatehouse/sdk";
import { createLogger } from "@gatehouse/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINARIES, runBinary } from "../helpers/binaries.js";

const SECRET = "rotation-renewal-secret-0123456789";
const TRUST_DOMAIN = "rotation.test";
const TTL = 6;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-ca-renewal-"));
const caFile = join(dir, "ca.json");
let auth: AuthServer;
let issuer: string;
let identity: ServiceIdentity | undefined;

async function cli(...args: string[]): Promise<void> {
  const done = await runBinary(BINARIES.authCli, args);
  if (done.code !== 0) throw new Error(`gatehouse-auth ${args.join(" ")}: ${done.stderr}`);
}

/** The published trust bundle, read without verifying the listener (the bootstrap an operator does over a trusted channel). */
function bundle(): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(`${issuer}/trust-bundle.pem`, { rejectUnauthorized: false, agent: false, timeout: 5_000 }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(text));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

beforeAll(async () => {
  await cli("ca", "generate", "--file", caFile, "--trust-domain", TRUST_DOMAIN);
  auth = createAuthServer(
    parseAuthServerConfig(
      {
        trustDomain: TRUST_DOMAIN,
        keys: { generate: "memory" },
        ca: { file: caFile, reloadIntervalSeconds: 1 },
        certificates: { ttlSeconds: TTL },
        tls: { fromCa: true },
        services: { orders: { auth: { method: "client_secret_basic", secretEnv: "SECRET" } } },
      },
      "rotation.yaml",
    ),
    { logger: createLogger("auth-server", { level: "silent" }), env: { SECRET } },
  );
  ({ issuer } = await auth.listen(0, "127.0.0.1"));
});

afterAll(async () => {
  identity?.close();
  await auth.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("certificate renewal across a CA rotation", () => {
  it("renews from the new CA after the auth server's own certificate moved to it, with the first trust bundle only", async () => {
    // Bootstrapping trust: the bundle is fetched once without verification, as an operator would copy it.
    const firstBundle = await bundle();
    identity = createServiceIdentity({ issuer, clientId: "orders", auth: { method: "client_secret_basic", clientSecret: SECRET }, trustBundle: firstBundle });
    await identity.ready();
    const oldCa = new X509Certificate(firstBundle);

    await cli("ca", "rotate", "--file", caFile, "--trust-domain", TRUST_DOMAIN, "--delay", "2", "--retire-after", String(TTL + 2));
    // Wait until the old CA left the bundle: by then the auth server's own certificate is from the new CA.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await bundle();
      if (!current.includes(oldCa.toString().split("\n")[1] ?? "") && current.includes("BEGIN CERTIFICATE")) break;
      if (Date.now() > deadline) throw new Error("the old CA never left the trust bundle");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Two more renewals (half-life: 3 s each), both from the new CA.
    const renewals: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${String(renewals.length)} renewal(s) within ${String(8 * TTL)} s after the rotation`)), 8 * TTL * 1_000);
      identity?.onRotate((tls) => {
        renewals.push(tls.cert);
        if (renewals.length === 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const newCa = new X509Certificate((await bundle()).trim());
    for (const cert of renewals) expect(new X509Certificate(cert).verify(newCa.publicKey)).toBe(true);
    expect(new X509Certificate(identity.tlsOptions().cert).validToDate.getTime()).toBeGreaterThan(Date.now());
  }, 120_000);
});
