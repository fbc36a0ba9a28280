import type { KoaContextWithOIDC, AccessToken, ClientCredentials, UnknownObject } from "oidc-provider";
import type { RegistryStore } from "../registry/store.js";
import { IssuanceLimitedError, type IssuanceLimit } from "../throttle/issuance-limit.js";
import type { ThrottleState } from "../throttle/auth-throttle.js";

/** The JWT claim that carries the caller's registry attributes (an object of strings). */
export const ATTRIBUTES_CLAIM = "urn:gatehouse:attributes";

/**
 * `extraTokenClaims`, which oidc-provider calls once per token, right before signing it: takes one
 * token from the caller's issuance ceiling for the token's audience (429 `issuance_limited` over
 * it), then adds the caller's attributes under {@link ATTRIBUTES_CLAIM}. oidc-provider never lets
 * these overwrite `iss, sub, client_id, aud, scope, iat, exp, jti`.
 */
export function createTokenClaims(registry: RegistryStore, issuance: IssuanceLimit) {
  return async function extraTokenClaims(ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials): Promise<UnknownObject> {
    try {
      await issuance.take(token.clientId ?? "", token.resourceServer?.audience ?? "");
    } catch (error) {
      if (error instanceof IssuanceLimitedError) {
        const limited: ThrottleState = { throttledFor: error.retryAfterSeconds, issuanceLimited: true };
        Object.assign(ctx.state, limited);
      }
      throw error;
    }
    const caller = await registry.get(token.clientId ?? "");
    return { [ATTRIBUTES_CLAIM]: { ...(caller?.attributes ?? {}) } };
  };
}
