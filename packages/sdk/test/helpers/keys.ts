// Signing keys and access tokens made in the test with jose, shaped like the Gatehouse auth server's.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function generateSigningKey(kid: string, alg = "ES256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, privateKey, publicKey, publicJwk };
}

export interface TokenShape {
  readonly issuer: string;
  readonly audience?: string | string[];
  readonly claims?: Record<string, unknown>;
  /** Claims removed from the defaults. */
  readonly omit?: readonly string[];
  readonly header?: Record<string, unknown>;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims the auth server issues (RFC 9068 §2.2), before overrides. */
export function accessTokenClaims(shape: TokenShape): JWTPayload {
  const now = nowSeconds();
  const claims: JWTPayload = {
    iss: shape.issuer,
    sub: "orders",
    client_id: "orders",
    aud: shape.audience ?? "https://inventory.internal",
    scope: "inventory:read inventory:reserve",
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    "urn:gatehouse:attributes": { team: "checkout", environment: "prod" },
    ...shape.claims,
  };
  for (const name of shape.omit ?? []) Reflect.deleteProperty(claims, name);
  return claims;
}

export async function signAccessToken(key: SigningKey, shape: TokenShape): Promise<string> {
  return new SignJWT(accessTokenClaims(shape))
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: key.kid, ...shape.header })
    .sign(key.privateKey);
}

export function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** `expect.any(Number)`, typed for strict lint. */
export const anyNumber: unknown = expect.any(Number);
