import { createLocalJWKSet, jwtVerify, type JWK } from "jose";
import type { SigningKeys } from "../../keys/signing-keys.js";
import type { AdminTokenVerifier } from "./admin-auth.js";

/**
 * Verifies Gatehouse access tokens for the admin API against this server's own published keys:
 * ES256 only, `typ: at+jwt`, `iss` = the issuer, `aud` = `admin.audience`, `exp` with 5 s of skew
 * (RFC 9068 §4). It does not check the scope (the caller does, to answer 403 rather than 401).
 */
export function createAdminTokenVerifier(keys: SigningKeys, issuer: () => string, audience: string): AdminTokenVerifier {
  let kids = "";
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  const keySet = () => {
    const published = keys.published();
    const current = published.map((k) => k.kid).join(" ");
    if (jwks === undefined || current !== kids) {
      kids = current;
      jwks = createLocalJWKSet({ keys: published.map(({ d: _private, ...publicJwk }): JWK => publicJwk) });
    }
    return jwks;
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keySet(), { issuer: issuer(), audience, typ: "at+jwt", algorithms: ["ES256"], clockTolerance: 5 });
      if (typeof payload.sub !== "string") return undefined;
      return { sub: payload.sub, scopes: typeof payload["scope"] === "string" ? payload["scope"].split(" ") : [] };
    } catch {
      return undefined;
    }
  };
}
