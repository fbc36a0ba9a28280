import { createKeySetVerifier } from "@gatehouse/sdk";
import type { JWK } from "jose";
import type { SigningKeys } from "../../keys/signing-keys.js";
import type { AdminTokenVerifier } from "./admin-auth.js";

/**
 * Verifies Gatehouse access tokens for the admin API (and the revocation feed) against this server's own published
 * keys, under the SDK verifier's rules (`createKeySetVerifier`: ES256 here, `typ: at+jwt`, the RFC 9068 claims,
 * `sub` = `client_id`, `iss` = the issuer, `aud` = `audience`, 5 s of skew). It does not check the scope (the caller
 * does, to answer 403 rather than 401).
 */
export function createAdminTokenVerifier(keys: SigningKeys, issuer: () => string, audience: string): AdminTokenVerifier {
  const verify = createKeySetVerifier({
    keys: () => keys.published().map(({ d: _private, ...publicJwk }): JWK => publicJwk),
    issuer,
    audience,
    algorithms: ["ES256"],
    clockToleranceSec: 5,
  });
  return async (token) => {
    try {
      const verified = await verify(token);
      return { sub: verified.service, scopes: verified.scopes };
    } catch {
      return undefined;
    }
  };
}
