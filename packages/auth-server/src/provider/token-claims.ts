import type { KoaContextWithOIDC, AccessToken, ClientCredentials, UnknownObject } from "oidc-provider";
import type { RegistryStore } from "../registry/store.js";

/** The JWT claim that carries the caller's registry attributes (an object of strings). */
export const ATTRIBUTES_CLAIM = "urn:gatehouse:attributes";

/**
 * `extraTokenClaims`: adds the caller's attributes under {@link ATTRIBUTES_CLAIM}. oidc-provider
 * never lets these overwrite `iss, sub, client_id, aud, scope, iat, exp, jti`.
 */
export function createTokenClaims(registry: RegistryStore) {
  return async function extraTokenClaims(_ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials): Promise<UnknownObject> {
    const caller = await registry.get(token.clientId ?? "");
    return { [ATTRIBUTES_CLAIM]: { ...(caller?.attributes ?? {}) } };
  };
}
