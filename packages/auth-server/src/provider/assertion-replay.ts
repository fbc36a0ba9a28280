import { createHash } from "node:crypto";
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import type { ReplayCache } from "../replay/replay-cache.js";

/** Longest accepted client assertion lifetime (`exp` − now): bounds how long a `jti` is remembered. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/**
 * `assertJwtClientAuthClaimsAndHeader`: runs after oidc-provider verified the assertion's
 * signature, `iss`, `aud` and `exp`. It records `(iss, jti)` until `exp` + tolerance in one atomic
 * step; an assertion seen before is a 401 `invalid_client` (RFC 7523 §3 item 7). Unsigned junk
 * never reaches the cache, so it cannot be filled by unauthenticated callers.
 */
export function createAssertionReplayCheck(cache: ReplayCache, clockToleranceSeconds: number) {
  return async function assertJwtClientAuthClaimsAndHeader(
    _ctx: KoaContextWithOIDC,
    claims: Record<string, unknown>,
  ): Promise<void> {
    const { iss, jti, exp } = claims;
    if (typeof iss !== "string" || typeof jti !== "string" || typeof exp !== "number") {
      throw new errors.InvalidClientAuth("client assertion must carry iss, jti and exp");
    }
    const ttl = exp + clockToleranceSeconds - Math.floor(Date.now() / 1000);
    if (ttl > MAX_ASSERTION_LIFETIME_SECONDS + clockToleranceSeconds) {
      throw new errors.InvalidClientAuth(`client assertion exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead`);
    }
    const key = createHash("sha256").update(`${iss}\0${jti}`).digest("base64url");
    let first: boolean;
    try {
      first = await cache.firstUse(key, ttl);
    } catch (cause) {
      const error = new errors.OIDCProviderError(503, "temporarily_unavailable", { cause, detail: "replay cache unavailable" });
      error.expose = true;
      error.error_description = "client assertions cannot be checked right now; retry";
      throw error;
    }
    if (!first) throw new errors.InvalidClientAuth("client assertion tokens must only be used once");
  };
}
