// RFC 9068 / RFC 8725 vectors for the verifier: tokens signed here with jose, keys served by a real JWKS server.
import { exportSPKI, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, type Verifier } from "../src/index.js";
import { accessTokenClaims, anyNumber, base64url, generateSigningKey, nowSeconds, signAccessToken, type SigningKey } from "./helpers/keys.js";
import { startJwksServer, type JwksServer } from "./helpers/jwks-server.js";

const AUDIENCE = "https://inventory.internal";

let server: JwksServer;
let key: SigningKey;
let otherKey: SigningKey;
let verifier: Verifier;

beforeAll(async () => {
  key = await generateSigningKey("key-1");
  // Same kid, different key: what an attacker who invents a key would send.
  otherKey = await generateSigningKey("key-1");
  server = await startJwksServer([key.publicJwk]);
  verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, maxTokenAgeSec: 600, clockToleranceSec: 5 });
  await verifier.ready();
});

afterAll(async () => {
  verifier.close();
  await server.close();
});

function token(shape: Omit<Parameters<typeof signAccessToken>[1], "issuer"> = {}, signer: SigningKey = key): Promise<string> {
  return signAccessToken(signer, { issuer: server.issuer, ...shape });
}

async function rejection(jwt: string, audience?: string): Promise<unknown> {
  const fresh = createVerifier({ issuer: server.issuer, audience: AUDIENCE, maxTokenAgeSec: 600, cacheSize: 0 });
  try {
    const outcome = await fresh.verify(jwt, audience === undefined ? {} : { audience }).then(
      () => "accepted",
      (error: unknown) => error,
    );
    return outcome === "accepted" ? outcome : { ...(outcome as object) };
  } finally {
    fresh.close();
  }
}

function invalidToken(description: string): unknown {
  return expect.objectContaining({ code: "invalid_token", status: 401, expose: true, description });
}

describe("verifier vectors", () => {
  it("accepts a well-formed ES256 at+jwt token and returns its typed claims (RFC 9068 §2.2, §4)", async () => {
    const jwt = await token({ claims: { jti: "jti-1" } });
    const verified = await verifier.verify(jwt);
    const now = nowSeconds();
    expect(verified).toEqual({
      service: "orders",
      clientId: "orders",
      scopes: ["inventory:read", "inventory:reserve"],
      audience: [AUDIENCE],
      attributes: { team: "checkout", environment: "prod" },
      jti: "jti-1",
      issuedAt: anyNumber,
      expiresAt: anyNumber,
      keyId: "key-1",
      claims: verified.claims,
    });
    expect(verified.claims).toMatchObject({ iss: server.issuer, sub: "orders", client_id: "orders", jti: "jti-1" });
    expect(Math.abs(verified.issuedAt - now)).toBeLessThanOrEqual(1);
    expect(verified.expiresAt - verified.issuedAt).toBe(300);
    expect(Object.isFrozen(verified)).toBe(true);
    expect(Object.isFrozen(verified.scopes)).toBe(true);
  });

  it('accepts typ "application/at+jwt" (RFC 9068 §4)', async () => {
    const jwt = await token({ header: { typ: "application/at+jwt" } });
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ service: "orders" });
  });

  it("accepts a token whose aud array contains the audience (RFC 9068 §4, RFC 7519 §4.1.3)", async () => {
    const jwt = await token({ audience: ["https://other.internal", AUDIENCE] });
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ audience: ["https://other.internal", AUDIENCE] });
  });

  it('rejects alg "none" (RFC 8725 §3.1, RFC 9068 §4)', async () => {
    const unsigned = `${base64url({ alg: "none", typ: "at+jwt", kid: "key-1" })}.${base64url(accessTokenClaims({ issuer: server.issuer }))}.`;
    expect(await rejection(unsigned)).toEqual(invalidToken("the token's signing algorithm is not allowed"));
  });

  it("rejects HS256 signed with the issuer's public key as the HMAC secret (RFC 8725 §2.1, §3.1)", async () => {
    const pem = await exportSPKI(key.publicKey);
    for (const secret of [pem, JSON.stringify(key.publicJwk)]) {
      const forged = await new SignJWT(accessTokenClaims({ issuer: server.issuer }))
        .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: "key-1" })
        .sign(new TextEncoder().encode(secret));
      expect(await rejection(forged)).toEqual(invalidToken("the token's signing algorithm is not allowed"));
    }
  });

  it('rejects a token whose typ is "JWT" or absent (RFC 9068 §4, RFC 8725 §3.11)', async () => {
    expect(await rejection(await token({ header: { typ: "JWT" } }))).toEqual(
      invalidToken('the token\'s "typ" header must be "at+jwt"'),
    );
    const untyped = await new SignJWT(accessTokenClaims({ issuer: server.issuer }))
      .setProtectedHeader({ alg: "ES256", kid: "key-1" })
      .sign(key.privateKey);
    expect(await rejection(untyped)).toEqual(invalidToken('the token\'s "typ" header must be "at+jwt"'));
  });

  it("rejects a token from another issuer (RFC 9068 §4, RFC 8725 §3.8)", async () => {
    const jwt = await token({ claims: { iss: "http://evil.example" } });
    expect(await rejection(jwt)).toEqual(invalidToken('the "iss" claim has an unexpected value'));
  });

  it("rejects a token minted for another audience (RFC 9068 §4, RFC 8725 §3.9)", async () => {
    const jwt = await token({ audience: "https://payments.internal" });
    expect(await rejection(jwt)).toEqual(invalidToken("the token is not meant for this audience (aud)"));
  });

  it("checks the audience given per call over the configured one (RFC 9068 §4)", async () => {
    const jwt = await token({ audience: "https://payments.internal" });
    await expect(verifier.verify(jwt, { audience: "https://payments.internal" })).resolves.toMatchObject({
      audience: ["https://payments.internal"],
    });
    expect(await rejection(await token(), "https://payments.internal")).toEqual(
      invalidToken("the token is not meant for this audience (aud)"),
    );
  });

  it("rejects an expired token beyond the clock tolerance and accepts one within it (RFC 9068 §4, RFC 7519 §4.1.4)", async () => {
    const now = nowSeconds();
    expect(await rejection(await token({ claims: { iat: now - 100, exp: now - 10 } }))).toEqual(
      invalidToken("the token has expired"),
    );
    await expect(verifier.verify(await token({ claims: { iat: now - 100, exp: now - 2 } }))).resolves.toMatchObject({
      service: "orders",
    });
  });

  it("rejects a token whose nbf is in the future (RFC 7519 §4.1.5, RFC 8725 §3.12)", async () => {
    const jwt = await token({ claims: { nbf: nowSeconds() + 60 } });
    expect(await rejection(jwt)).toEqual(invalidToken("the token is not valid yet (nbf is in the future)"));
  });

  it("rejects a token whose iat is in the future, with or without a maximum age (RFC 9068 §4, RFC 7519 §4.1.6)", async () => {
    const jwt = await token({ claims: { iat: nowSeconds() + 60 } });
    expect(await rejection(jwt)).toEqual(invalidToken("the token was issued in the future (iat)"));
    const withoutMaxAge = createVerifier({ issuer: server.issuer, audience: AUDIENCE });
    await expect(withoutMaxAge.verify(jwt)).rejects.toMatchObject({
      code: "invalid_token",
      description: "the token was issued in the future (iat)",
    });
    withoutMaxAge.close();
  });

  it("rejects a token older than maxTokenAgeSec even when exp is later (RFC 9068 §4)", async () => {
    const now = nowSeconds();
    const jwt = await token({ claims: { iat: now - 700, exp: now + 300 } });
    expect(await rejection(jwt)).toEqual(invalidToken("the token is older than the maximum token age"));
  });

  for (const claim of ["iss", "exp", "iat", "jti", "client_id", "sub", "aud"]) {
    it(`rejects a token without "${claim}" (RFC 9068 §2.2)`, async () => {
      const jwt = await token({ omit: [claim] });
      expect(await rejection(jwt)).toEqual(invalidToken(`the token has no "${claim}" claim`));
    });
  }

  it("rejects a token whose sub differs from client_id (RFC 9068 §2.2)", async () => {
    const jwt = await token({ claims: { sub: "payments" } });
    expect(await rejection(jwt)).toEqual(invalidToken('the "sub" claim must equal the "client_id" claim'));
  });

  it("rejects attributes that are not an object of strings (RFC 9068 §2.2.3.1)", async () => {
    const jwt = await token({ claims: { "urn:gatehouse:attributes": { team: 7 } } });
    expect(await rejection(jwt)).toEqual(
      invalidToken('the "urn:gatehouse:attributes" claim must be an object of strings'),
    );
  });

  it("rejects a token whose kid is not in the issuer's key set (RFC 9068 §4, RFC 8725 §3.10)", async () => {
    const stranger = await generateSigningKey("key-unknown");
    expect(await rejection(await token({}, stranger))).toEqual(
      invalidToken("no key of the issuer matches the token's kid"),
    );
  });

  it("rejects a token signed by another key under a known kid (RFC 9068 §4, RFC 7515 §5.2)", async () => {
    expect(await rejection(await token({}, otherKey))).toEqual(invalidToken("the token's signature is invalid"));
  });

  it("rejects a tampered payload with the original signature (RFC 9068 §4, RFC 7515 §5.2)", async () => {
    const [header, , signature] = (await token()).split(".");
    const widened = base64url(accessTokenClaims({ issuer: server.issuer, claims: { scope: "inventory:admin" } }));
    expect(await rejection(`${header!}.${widened}.${signature!}`)).toEqual(invalidToken("the token's signature is invalid"));
  });

  it("rejects input that is not a compact JWS (RFC 7515 §7.1)", async () => {
    expect(await rejection("not-a-token")).toEqual(invalidToken("the token is not a well-formed signed JWT"));
    expect(await rejection("")).toEqual(invalidToken("the token is empty or too long"));
  });

  it("refuses to be configured with none or an HMAC algorithm (RFC 8725 §3.1, §3.2)", () => {
    for (const alg of ["none", "HS256", "HS512"]) {
      expect(() => createVerifier({ issuer: server.issuer, audience: AUDIENCE, algorithms: [alg] })).toThrow(
        expect.objectContaining({ code: "invalid_options", status: 500 }),
      );
    }
  });

  it("rejects an ES256 token when only RS256 is allowed (RFC 8725 §3.1)", async () => {
    const rsOnly = createVerifier({ issuer: server.issuer, audience: AUDIENCE, algorithms: ["RS256"] });
    await expect(rsOnly.verify(await token())).rejects.toMatchObject({
      code: "invalid_token",
      description: "the token's signing algorithm is not allowed",
    });
    rsOnly.close();
  });
});
