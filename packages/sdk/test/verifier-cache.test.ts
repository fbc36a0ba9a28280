// The verified-token cache: repeated tokens skip the signature check, exp and audience are checked on every use,
// and the size limit holds under a flood of distinct tokens.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../src/index.js";
import { DEFAULT_CACHE_MAX_BYTES, entryBytes, VerifiedTokenCache } from "../src/verifier/token-cache.js";
import { generateSigningKey, nowSeconds, signAccessToken, type SigningKey } from "./helpers/keys.js";
import { startJwksServer, type JwksServer } from "./helpers/jwks-server.js";

const AUDIENCE = "https://inventory.internal";
let server: JwksServer;
let key: SigningKey;

beforeAll(async () => {
  key = await generateSigningKey("k1");
  server = await startJwksServer([key.publicJwk]);
});

afterAll(async () => {
  await server.close();
});

describe("verified-token cache", () => {
  it("answers a repeated token from the cache, synchronously through verifyCached", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const jwt = await signAccessToken(key, { issuer: server.issuer });
    expect(verifier.verifyCached(jwt)).toBeUndefined();
    const first = await verifier.verify(jwt);
    expect(verifier.verifyCached(jwt)).toBe(first);
    expect(await verifier.verify(jwt)).toBe(first);
    expect(verifier.stats).toMatchObject({ cacheHits: 2, cacheMisses: 1, cacheSize: 1, rejected: 0 });
    verifier.close();
  });

  it("shares one signature check between concurrent calls with the same new token", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const jwt = await signAccessToken(key, { issuer: server.issuer });
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(jwt)));
    expect(new Set(results).size).toBe(1);
    expect(verifier.stats).toMatchObject({ cacheMisses: 1, cacheSize: 1 });
    const forged = `${jwt.slice(0, -4)}AAAA`;
    const failures = await Promise.allSettled(Array.from({ length: 20 }, () => verifier.verify(forged)));
    expect(failures.every((result) => result.status === "rejected")).toBe(true);
    expect(verifier.stats).toMatchObject({ cacheMisses: 2, rejected: 20 });
    verifier.close();
  });

  it("checks the audience of each call on a cache hit", async () => {
    const verifier = createVerifier({ issuer: server.issuer });
    const jwt = await signAccessToken(key, { issuer: server.issuer });
    await verifier.verify(jwt, { audience: AUDIENCE });
    expect(() => verifier.verifyCached(jwt, { audience: "https://payments.internal" })).toThrow(
      expect.objectContaining({ code: "invalid_token", description: "the token is not meant for this audience (aud)" }),
    );
    await expect(verifier.verify(jwt, { audience: "https://payments.internal" })).rejects.toMatchObject({
      code: "invalid_token",
    });
    expect(verifier.verifyCached(jwt, { audience: AUDIENCE })).toMatchObject({ service: "orders" });
    verifier.close();
  });

  it("refuses a cached token once it has expired", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, clockToleranceSec: 0 });
    const now = nowSeconds();
    // Valid during the seconds `now` and `now + 1` (a second boundary may pass before verify runs).
    const jwt = await signAccessToken(key, { issuer: server.issuer, claims: { iat: now - 10, exp: now + 2 } });
    await verifier.verify(jwt);
    expect(verifier.verifyCached(jwt)).toMatchObject({ service: "orders" });
    await sleep((now + 2) * 1000 - Date.now() + 50);
    expect(() => verifier.verifyCached(jwt)).toThrow(
      expect.objectContaining({ code: "invalid_token", description: "the token has expired" }),
    );
    // The expired entry is gone: the next lookup is a miss, and verify checks the token again.
    expect(verifier.verifyCached(jwt)).toBeUndefined();
    await expect(verifier.verify(jwt)).rejects.toMatchObject({ code: "invalid_token", description: "the token has expired" });
    verifier.close();
  });

  it("refuses a cached token once it is older than maxTokenAgeSec", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, clockToleranceSec: 0, maxTokenAgeSec: 5 });
    const now = nowSeconds();
    // Age 4 s now, 5 s (still accepted) in the next second, too old from the one after.
    const jwt = await signAccessToken(key, { issuer: server.issuer, claims: { iat: now - 4, exp: now + 300 } });
    await verifier.verify(jwt);
    expect(verifier.verifyCached(jwt)).toMatchObject({ service: "orders" });
    await sleep((now + 2) * 1000 - Date.now() + 50);
    expect(() => verifier.verifyCached(jwt)).toThrow(expect.objectContaining({ code: "invalid_token" }));
    verifier.close();
  });

  it("never holds more than cacheSize tokens while verifying thousands of distinct ones", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, cacheSize: 200 });
    const tokens = await Promise.all(Array.from({ length: 2000 }, () => signAccessToken(key, { issuer: server.issuer })));
    let largest = 0;
    for (const jwt of tokens) {
      await verifier.verify(jwt);
      largest = Math.max(largest, verifier.stats.cacheSize);
    }
    expect(largest).toBe(200);
    // The most recent tokens are cached, the oldest were evicted.
    expect(verifier.verifyCached(tokens.at(-1)!)).toBeDefined();
    expect(verifier.verifyCached(tokens[0]!)).toBeUndefined();
    verifier.close();
  });

  it("keeps the LRU at its limit under 100,000 distinct tokens", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    const template = await verifier.verify(await signAccessToken(key, { issuer: server.issuer }));
    verifier.close();
    const cache = new VerifiedTokenCache(1000);
    const deadline = Date.now() + 60_000;
    let largest = 0;
    for (let i = 0; i < 100_000; i += 1) {
      cache.set(`token-${i}-${"x".repeat(600)}`, template, deadline);
      largest = Math.max(largest, cache.size);
    }
    expect(largest).toBe(1000);
    expect(cache.get(`token-99999-${"x".repeat(600)}`, Date.now())).toBe(template);
    expect(cache.get(`token-0-${"x".repeat(600)}`, Date.now())).toBeUndefined();
  });

  it("bounds the cache by bytes too: large distinct tokens evict earlier, within cacheMaxBytes", async () => {
    const maxBytes = 256 * 1024;
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, cacheSize: 10_000, cacheMaxBytes: maxBytes });
    // Tokens of about 5,500 characters (a large attributes claim): about 11.5 KiB each by the estimate.
    const pad = "p".repeat(4000);
    const tokens = await Promise.all(
      Array.from({ length: 300 }, () => signAccessToken(key, { issuer: server.issuer, claims: { "urn:gatehouse:attributes": { pad } } })),
    );
    const perEntry = entryBytes(tokens[0]!);
    let largestBytes = 0;
    for (const jwt of tokens) {
      await verifier.verify(jwt);
      largestBytes = Math.max(largestBytes, verifier.stats.cacheBytes);
    }
    expect(largestBytes).toBeLessThanOrEqual(maxBytes);
    expect(verifier.stats.cacheSize).toBe(Math.floor(maxBytes / perEntry));
    expect(verifier.stats.cacheBytes).toBe(verifier.stats.cacheSize * perEntry);
    expect(verifier.verifyCached(tokens.at(-1)!)).toBeDefined();
    expect(verifier.verifyCached(tokens[0]!)).toBeUndefined();
    verifier.close();
  });

  it("holds 10,000 typical tokens within the default byte bound, so cacheSize decides for them", () => {
    const typical = `${"h".repeat(60)}.${"p".repeat(420)}.${"s".repeat(86)}`;
    expect(10_000 * entryBytes(typical)).toBeLessThanOrEqual(DEFAULT_CACHE_MAX_BYTES);
  });

  it("caches nothing with cacheSize 0", async () => {
    const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, cacheSize: 0 });
    const jwt = await signAccessToken(key, { issuer: server.issuer });
    await verifier.verify(jwt);
    await verifier.verify(jwt);
    expect(verifier.verifyCached(jwt)).toBeUndefined();
    expect(verifier.stats).toMatchObject({ cacheHits: 0, cacheMisses: 2, cacheSize: 0 });
    verifier.close();
  });
});
