import { errors, type KoaContextWithOIDC, type ResourceServer, type Client } from "oidc-provider";
import type { RegistryStore } from "../registry/store.js";

/** What the token policy reads: the registry, the default token lifetime and the current signing key. */
export interface ResourcePolicyOptions {
  readonly registry: RegistryStore;
  readonly defaultTtlSeconds: number;
  /** The `kid` that signs now (rotation picks it per token). */
  readonly signingKid: () => string;
}

/**
 * `features.resourceIndicators.getResourceServerInfo`: the policy of the token endpoint
 * (RFC 8707). The resource must be a registered, enabled service the caller has an `allow` entry
 * for (else `invalid_target`), at least one scope must be requested, and every requested scope
 * must be allowed for that caller at that target and still exposed by the target (else
 * `invalid_scope` naming the scope): a request
 * is rejected, never silently narrowed as oidc-provider would by default.
 */
export function createResourcePolicy(options: ResourcePolicyOptions) {
  return async function getResourceServerInfo(ctx: KoaContextWithOIDC, resourceIndicator: string, client: Client): Promise<ResourceServer> {
    assertRegisteredMethod(ctx, client);
    if (Array.isArray(ctx.oidc.params?.["resource"])) {
      throw new errors.InvalidTarget("only a single resource indicator value is supported for this grant type");
    }
    const target = await options.registry.findByResource(resourceIndicator);
    if (target === undefined || target.disabled) {
      throw new errors.InvalidTarget("resource indicator is unknown");
    }
    const caller = await options.registry.get(client.clientId);
    const allowed = caller?.allow[target.id];
    if (allowed === undefined) {
      throw new errors.InvalidTarget("client is not allowed to request tokens for this resource");
    }
    const scope = ctx.oidc.params?.["scope"];
    const requested = typeof scope === "string" ? scope.split(" ").filter((s) => s !== "") : [];
    if (requested.length === 0) {
      throw Object.assign(new errors.InvalidScope("scope is required", ""), { scope: undefined });
    }
    for (const name of requested) {
      if (!allowed.includes(name) || !target.scopes.includes(name)) throw new errors.InvalidScope("requested scope is not allowed", name);
    }
    return {
      scope: [...new Set(requested)].join(" "),
      audience: resourceIndicator,
      accessTokenTTL: target.tokenTtlSeconds ?? options.defaultTtlSeconds,
      accessTokenFormat: "jwt",
      jwt: { sign: { alg: "ES256", kid: options.signingKid() } },
    };
  };
}

/**
 * oidc-provider accepts a secret by either transport whichever of the two a client registered;
 * here a service authenticates only with the method in its registry entry (RFC 7591 §2
 * `token_endpoint_auth_method`).
 */
function assertRegisteredMethod(ctx: KoaContextWithOIDC, client: Client): void {
  const method = client.clientAuthMethod;
  const viaHeader = ctx.headers.authorization !== undefined;
  if ((method === "client_secret_basic" && !viaHeader) || (method === "client_secret_post" && viaHeader)) {
    throw new errors.InvalidClientAuth("the provided authentication mechanism does not match the registered one");
  }
}

/**
 * `features.resourceIndicators.defaultResource`: there is none. A token request without a
 * `resource` is refused (`invalid_request`), so no token is minted for an unspecified audience.
 */
export function requireResource(): never {
  throw new errors.InvalidRequest("missing required parameter 'resource'");
}
