// createKeySetVerifier: the verifier's token rules with keys held in memory (the issuer checking its own tokens).
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { createKeySetVerifier } from "../src/index.js";
import { generateSigningKey, nowSeconds, signAccessToken } from "./helpers/keys.js";

const ISSUER = "https://auth.internal";
const AUDIENCE = "https://auth.internal/admin";

describe("createKeySetVerifier", () => {
  it("verifies with the keys published now, picking up a new kid at once and dropping a retired one", async () => {
    const first = await generateSigningKey("k1");
    const second = await generateSigningKey("k2");
    let published: JWK[] = [first.publicJwk];
    const verify = createKeySetVerifier({ keys: () => published, issuer: () => ISSUER, audience: AUDIENCE });
    const byFirst = await signAccessToken(first, { issuer: ISSUER, audience: AUDIENCE });
    const bySecond = await signAccessToken(second, { issuer: ISSUER, audience: AUDIENCE });

    await expect(verify(byFirst)).resolves.toMatchObject({ service: "orders", audience: [AUDIENCE], keyId: "k1" });
    await expect(verify(bySecond)).rejects.toMatchObject({ code: "invalid_token" });
    published = [second.publicJwk, first.publicJwk];
    await expect(verify(bySecond)).resolves.toMatchObject({ keyId: "k2" });
    published = [second.publicJwk];
    await expect(verify(byFirst)).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("holds tokens to the verifier's rules and to its audience", async () => {
    const key = await generateSigningKey("k1");
    const verify = createKeySetVerifier({ keys: () => [key.publicJwk], issuer: () => ISSUER, audience: AUDIENCE });
    const refused = async (shape: Parameters<typeof signAccessToken>[1]) => verify(await signAccessToken(key, shape)).then(
        () => "accepted",
        (error: unknown) => {
          const { code, description } = error as { code: string; description: string };
          return `${code}: ${description}`;
        },
      );
    expect(await refused({ issuer: ISSUER, audience: "https://ledger.internal" })).toBe("invalid_token: the token is not meant for this audience (aud)");
    expect(await refused({ issuer: "https://elsewhere.example", audience: AUDIENCE })).toBe('invalid_token: the "iss" claim has an unexpected value');
    expect(await refused({ issuer: ISSUER, audience: AUDIENCE, omit: ["jti"] })).toBe('invalid_token: the token has no "jti" claim');
    expect(await refused({ issuer: ISSUER, audience: AUDIENCE, claims: { client_id: "billing" } })).toBe('invalid_token: the "sub" claim must equal the "client_id" claim');
    expect(await refused({ issuer: ISSUER, audience: AUDIENCE, claims: { iat: nowSeconds() + 120 } })).toBe("invalid_token: the token was issued in the future (iat)");
    expect(await refused({ issuer: ISSUER, audience: AUDIENCE, header: { typ: "JWT" } })).toBe('invalid_token: the token\'s "typ" header must be "at+jwt"');
    expect(await refused({ issuer: ISSUER, audience: AUDIENCE })).toBe("accepted");
  });

  it("refuses a symmetric algorithm when created (RFC 8725 §3.1)", () => {
    expect(() => createKeySetVerifier({ keys: () => [], issuer: () => ISSUER, audience: AUDIENCE, algorithms: ["HS256"] })).toThrow(expect.objectContaining({ code: "invalid_options" }));
  });
});
