// Key set handling against a real JWKS server: one fetch, refetch on a new kid with a cooldown, stale-if-error,
// timeouts, discovery.
import { setTimeout as sleep } from "node:timers/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createVerifier } from "../src/index.js";
import { anyNumber, generateSigningKey, signAccessToken } from "./helpers/keys.js";
import { startJwksServer } from "./helpers/jwks-server.js";

const AUDIENCE = "https://inventory.internal";

describe("verifier key set", () => {
  it("discovers the jwks_uri once and fetches the key set once for many tokens (RFC 8414 §3)", async () => {
    const key = await generateSigningKey("k1");
    const server = await startJwksServer([key.publicJwk]);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    try {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => signAccessToken(key, { issuer: server.issuer })));
      await Promise.all(tokens.map((jwt) => verifier.verify(jwt)));
      expect({ metadata: server.metadataRequests, jwks: server.jwksRequests }).toEqual({ metadata: 1, jwks: 1 });
      expect(verifier.stats).toMatchObject({ jwksRefreshes: 1, jwksErrors: 0, cacheMisses: 20 });
      expect(verifier.health()).toEqual({ keysLoaded: true, lastRefreshOk: true });
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("uses jwksUri directly without discovery when given", async () => {
    const key = await generateSigningKey("k1");
    const server = await startJwksServer([key.publicJwk]);
    const verifier = createVerifier({ issuer: server.issuer, jwksUri: server.jwksUri, audience: AUDIENCE });
    try {
      await verifier.verify(await signAccessToken(key, { issuer: server.issuer }));
      expect({ metadata: server.metadataRequests, jwks: server.jwksRequests }).toEqual({ metadata: 0, jwks: 1 });
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("refetches the key set for a new kid, at most once per cooldown, and counts both", async () => {
    const first = await generateSigningKey("k1");
    const rotated = await generateSigningKey("k2");
    const unknown = await generateSigningKey("k3");
    const server = await startJwksServer([first.publicJwk]);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldownMs: 1000 } });
    try {
      await verifier.verify(await signAccessToken(first, { issuer: server.issuer }));
      server.setKeys([rotated.publicJwk, first.publicJwk]);
      const rotatedToken = await signAccessToken(rotated, { issuer: server.issuer });

      // Within the cooldown of the first fetch: no refetch, the token is refused.
      await expect(verifier.verify(rotatedToken)).rejects.toMatchObject({
        code: "invalid_token",
        description: "no key of the issuer matches the token's kid",
      });
      expect(server.jwksRequests).toBe(1);

      await sleep(1050);
      await expect(verifier.verify(rotatedToken)).resolves.toMatchObject({ service: "orders" });
      expect(server.jwksRequests).toBe(2);

      // A kid the issuer does not publish, right after the refetch: refused without hammering the server.
      await expect(verifier.verify(await signAccessToken(unknown, { issuer: server.issuer }))).rejects.toMatchObject({
        code: "invalid_token",
      });
      expect(server.jwksRequests).toBe(2);
      expect(verifier.stats).toMatchObject({ jwksRefreshes: 2, unknownKidRefetches: 1, unknownKidCooldownSkips: 2 });
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("shares one refetch between concurrent tokens with the same new kid", async () => {
    const first = await generateSigningKey("k1");
    const rotated = await generateSigningKey("k2");
    const server = await startJwksServer([first.publicJwk]);
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwks: { cooldownMs: 0 } });
    try {
      await verifier.ready();
      server.setKeys([rotated.publicJwk, first.publicJwk]);
      const tokens = await Promise.all(Array.from({ length: 10 }, () => signAccessToken(rotated, { issuer: server.issuer })));
      const verified = await Promise.all(tokens.map((jwt) => verifier.verify(jwt)));
      expect(verified).toHaveLength(10);
      expect(server.jwksRequests).toBe(2);
      expect(verifier.stats.unknownKidRefetches).toBe(1);
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("keeps verifying with the last known keys while the JWKS server is stopped, up to staleIfErrorSec", async () => {
    const key = await generateSigningKey("k1");
    const server = await startJwksServer([key.publicJwk]);
    const issuer = server.issuer;
    const verifier = createVerifier({
      issuer,
      jwksUri: server.jwksUri,
      audience: AUDIENCE,
      jwks: { maxAgeMs: 100, staleIfErrorSec: 1, cooldownMs: 50, timeoutMs: 500 },
    });
    try {
      await verifier.ready();
      const loadedAt = Date.now();
      await server.close();
      await sleep(150);

      // The key set is due for refresh and the server is gone: the token still verifies with the stale keys.
      await expect(verifier.verify(await signAccessToken(key, { issuer }))).resolves.toMatchObject({ service: "orders" });
      await expect.poll(() => verifier.stats.jwksErrors).toBeGreaterThanOrEqual(1);
      const health = verifier.health();
      expect(health).toEqual({ keysLoaded: true, lastRefreshOk: false, staleSinceMs: anyNumber });
      expect(health.staleSinceMs).toBeGreaterThanOrEqual(loadedAt);

      await sleep(Math.max(0, loadedAt + 100 + 1000 - Date.now()) + 100);
      const late = verifier.verify(await signAccessToken(key, { issuer }));
      await expect(late).rejects.toMatchObject({ code: "jwks_unavailable", status: 503 });
      const description = await late.catch((error: unknown) => (error as { description: string }).description);
      expect(description).toMatch(/^the issuer's signing keys are unavailable: the key set request failed/);
      expect(verifier.health()).toMatchObject({ keysLoaded: false, lastRefreshOk: false });
    } finally {
      verifier.close();
    }
  });

  it("recovers by itself once the JWKS server answers again, also without traffic (health probes)", async () => {
    const key = await generateSigningKey("k1");
    const server = await startJwksServer([key.publicJwk]);
    server.setFailing(true);
    const verifier = createVerifier({ issuer: server.issuer, jwksUri: server.jwksUri, audience: AUDIENCE, jwks: { cooldownMs: 100 } });
    try {
      await expect(verifier.ready()).rejects.toMatchObject({
        code: "jwks_unavailable",
        description: `the issuer's signing keys are unavailable: GET ${server.jwksUri} answered HTTP 503`,
      });
      expect(verifier.health()).toEqual({ keysLoaded: false, lastRefreshOk: false, staleSinceMs: anyNumber });
      server.setFailing(false);
      await expect.poll(() => verifier.health(), { timeout: 5000, interval: 50 }).toEqual({ keysLoaded: true, lastRefreshOk: true });
      await expect(verifier.verify(await signAccessToken(key, { issuer: server.issuer }))).resolves.toMatchObject({ service: "orders" });
      expect(verifier.stats).toMatchObject({ jwksRefreshes: 1, jwksErrors: expect.any(Number) as unknown });
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("fails ready() with jwks_unavailable when the key set request times out", async () => {
    const server = await startJwksServer([], { hang: true });
    const verifier = createVerifier({ jwksUri: server.jwksUri, audience: AUDIENCE, jwks: { timeoutMs: 200 } });
    try {
      await expect(verifier.ready()).rejects.toMatchObject({
        code: "jwks_unavailable",
        status: 503,
        description: "the issuer's signing keys are unavailable: the key set request timed out after 200 ms",
      });
      expect(verifier.health()).toEqual({ keysLoaded: false, lastRefreshOk: false, staleSinceMs: anyNumber });
    } finally {
      verifier.close();
      await server.close();
    }
  });

  it("fails with jwks_unavailable naming the cause when the issuer has no metadata", async () => {
    const bare = createServer((_req, res) => res.writeHead(404, { "content-type": "application/json" }).end("{}"));
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const verifier = createVerifier({ issuer, audience: AUDIENCE });
    try {
      const error: unknown = await verifier.ready().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "jwks_unavailable", status: 503 });
      expect((error as { description: string }).description).toContain(`metadata discovery at ${issuer}/ failed`);
    } finally {
      verifier.close();
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});
