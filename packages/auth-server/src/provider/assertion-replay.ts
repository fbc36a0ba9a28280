import { createHash } from "node:crypto";
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import type { ReplayCache } from "../replay/replay-cache.js";

/** What bounds a client assertion: `tokens.clockToleranceSeconds` and `tokens.clientAssertionMaxLifetimeSeconds`. */
export interface AssertionLimits {
  readonly clockToleranceSeconds: number;
  readonly clientAssertionMaxLifetimeSeconds: number;
}

/**
 * `assertJwtClientAuthClaimsAndHeader`: runs after oidc-provider verified the assertion's
 * signature, `iss`, `aud` and `exp`. An assertion whose `exp` lies more than
 * `clientAssertionMaxLifetimeSeconds` (plus the tolerance) ahead is refused, which also bounds how
 * long its `jti` is remembered. It records `(iss, jti)` until `exp` + tolerance in one atomic step;
 * an assertion seen before is a 401 `invalid_client` (RFC 7523 §3 item 7). Unsigned junk never
 * reaches the cache, so it cannot be filled by unauthenticated callers.
 */
export function createAssertionReplayCheck(cache: ReplayCache, limits: AssertionLimits) {
  const { clockToleranceSeconds, clientAssertionMaxLifetimeSeconds: maxLifetime } = limits;
  return async function assertJwtClientAuthClaimsAndHeader(
    _ctx: KoaContextWithOIDC,
    claims: Record<string, unknown>,
  ): Promise<void> {
    const { iss, jti, exp } = claims;
    if (typeof iss !== "string" || typeof jti !== "string" || typeof exp !== "number") {
      throw new errors.InvalidClientAuth("client assertion must carry iss, jti and exp");
    }
    const ttl = exp + clockToleranceSeconds - Math.floor(Date.now() / 1000);
    if (ttl > maxLifetime + clockToleranceSeconds) {
      throw new errors.InvalidClientAuth(
        `client assertion exp must be at most ${String(maxLifetime)} seconds ahead (tokens.clientAssertionMaxLifetimeSeconds)`,
      );
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
