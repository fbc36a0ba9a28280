// A verifier whose `trustBundle` is a file keeps reaching an auth server on HTTPS across a CA rotation
// (`gatehouse-auth ca rotate`): once the old CA retired, the auth server's own listener certificate is signed by the new
// CA, which the file named when the verifier started does not hold. The operator (or a mounted secret) rewrites the
// file with the published bundle; the verifier's next key-set request must trust it without a restart.
// Real parts: the built CLI, an auth server on HTTPS with a CA file re-read every second, the SDK's verifier and token
// source, a trust bundle file on disk.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createTokenSource, createVerifier } from "@gatehouse/sdk";
import { createLogger } from "@gatehouse/service-kit";
import { afterAll, describe, expect, it } from "vitest";
import { authCli, publishedTrustBundle } from "../helpers/trust-bootstrap.js";

const SECRET = "rotation-verifier-secret-0123456789";
const TRUST_DOMAIN = "rotation.test";
const RESOURCE = "https://inventory.rotation.test";
/** Lifetime of the certificates the CA issues, the auth server's own included (renewed at half of it). */
const TTL = 6;
/** Key-set age at which the verifier asks again; longer than undici's idle keep-alive (4 s), so it reconnects. */
const JWKS_MAX_AGE_MS = 6_000;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-ca-verifier-"));
let auth: AuthServer | undefined;

afterAll(async () => {
  await auth?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the verifier across a CA rotation", () => {
  it("re-reads its trust bundle file and keeps loading the issuer's keys after the issuer's certificate moved to the new CA", async () => {
    const caFile = join(dir, "ca.json");
    await authCli("ca", "generate", "--file", caFile, "--trust-domain", TRUST_DOMAIN);
    auth = createAuthServer(
      parseAuthServerConfig(
        {
          trustDomain: TRUST_DOMAIN,
          keys: { generate: "memory" },
          ca: { file: caFile, reloadIntervalSeconds: 1 },
          certificates: { ttlSeconds: TTL },
          tls: { fromCa: true },
          services: {
            inventory: { resource: RESOURCE, scopes: ["inventory:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
            orders: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { inventory: ["inventory:read"] } },
          },
        },
        "rotation.yaml",
      ),
      { logger: createLogger("auth-server", { level: "silent" }), env: { SECRET } },
    );
    const { issuer } = await auth.listen(0, "127.0.0.1");
    const bundleFile = join(dir, "trust-bundle.pem");
    const firstBundle = await publishedTrustBundle(issuer);
    writeFileSync(bundleFile, firstBundle);
    const oldCa = new X509Certificate(firstBundle);

    const verifier = createVerifier({ issuer, audience: RESOURCE, trustBundle: bundleFile, jwks: { maxAgeMs: JWKS_MAX_AGE_MS } });
    try {
      await verifier.ready();
      const firstFetchAt = Date.now();
      expect(verifier.stats).toMatchObject({ jwksRefreshes: 1, jwksErrors: 0 });

      await authCli("ca", "rotate", "--file", caFile, "--trust-domain", TRUST_DOMAIN, "--delay", "2", "--retire-after", String(TTL + 2));
      // Once the old CA left the published bundle, the auth server's listener certificate is from the new CA.
      const deadline = Date.now() + 30_000;
      let current = firstBundle;
      while (current.includes(oldCa.toString().split("\n")[1] ?? "") || !current.includes("BEGIN CERTIFICATE")) {
        if (Date.now() > deadline) throw new Error("the old CA never left the trust bundle");
        await sleep(250);
        current = await publishedTrustBundle(issuer);
      }
      const newCa = new X509Certificate(current);
      expect(newCa.fingerprint256).not.toBe(oldCa.fingerprint256);
      // The operator publishes the new bundle to the file the verifier was started with.
      writeFileSync(bundleFile, current);
      await sleep(Math.max(0, firstFetchAt + JWKS_MAX_AGE_MS + 500 - Date.now()));

      // The key set is due: the verifier asks again over a new connection, which must trust the new CA.
      const refreshDeadline = Date.now() + 10_000;
      while (verifier.stats.jwksRefreshes < 2 && Date.now() < refreshDeadline) {
        await verifier.ready();
        await sleep(200);
      }
      expect(verifier.stats).toMatchObject({ jwksRefreshes: 2, jwksErrors: 0 });
      expect(verifier.health()).toMatchObject({ keysLoaded: true, lastRefreshOk: true });

      // And a token the auth server issues now verifies.
      const tokens = createTokenSource({ issuer, clientId: "orders", auth: { method: "client_secret_basic", clientSecret: SECRET }, trustBundle: current });
      const token = await tokens.getToken({ resource: RESOURCE, scopes: ["inventory:read"] });
      await expect(verifier.verify(token)).resolves.toMatchObject({ service: "orders" });
      tokens.close();
    } finally {
      verifier.close();
    }
  }, 60_000);
});
