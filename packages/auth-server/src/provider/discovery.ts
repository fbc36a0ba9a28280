import type { Middleware } from "koa";

/** The members RFC 8414 / OIDC Discovery metadata keeps: only what this server supports. */
const KEPT = [
  "issuer",
  "token_endpoint",
  "jwks_uri",
  "grant_types_supported",
  "token_endpoint_auth_methods_supported",
  "token_endpoint_auth_signing_alg_values_supported",
] as const;

/**
 * Rewrites oidc-provider's discovery documents (`/.well-known/openid-configuration` and
 * `/.well-known/oauth-authorization-server`) to advertise only what is served: the token endpoint
 * (client_credentials, RFC 8707 resource indicators), the JWKS, the client authentication methods
 * and assertion algorithms. No authorization, userinfo or ID token endpoints are advertised, and
 * `response_types_supported` (REQUIRED by RFC 8414) is honestly empty.
 */
export const advertiseSupportedOnly: Middleware = async (ctx, next) => {
  await next();
  if (ctx.status !== 200 || !ctx.path.startsWith("/.well-known/")) return;
  const body = ctx.body as Record<string, unknown> | undefined;
  if (body === undefined || typeof body !== "object") return;
  const kept: Record<string, unknown> = {};
  for (const key of KEPT) if (body[key] !== undefined) kept[key] = body[key];
  kept["response_types_supported"] = [];
  ctx.body = kept;
};
