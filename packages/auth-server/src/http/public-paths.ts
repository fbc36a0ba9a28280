import type { Middleware } from "koa";
import { AuthServerError } from "../errors.js";
import { sendError } from "./send-error.js";

/** The only provider paths served: the token endpoint, the JWKS and the two discovery documents. */
export const PROVIDER_PATHS: ReadonlySet<string> = new Set([
  "/token",
  "/jwks",
  "/.well-known/openid-configuration",
  "/.well-known/oauth-authorization-server",
]);

/**
 * First middleware of the provider: everything oidc-provider could serve beyond
 * {@link PROVIDER_PATHS} (authorization, sessions, interactions) answers 404 `not_found`, and a
 * body announced larger than `limit` answers 413 before a byte of it is read. (Bodies without a
 * `Content-Length` are cut by oidc-provider at 56 KiB.)
 */
export function onlyProviderPaths(limit: number): Middleware {
  return async (ctx, next) => {
    if (!PROVIDER_PATHS.has(ctx.path)) {
      sendError(ctx, new AuthServerError("not_found", `no endpoint at ${ctx.path}`));
      return;
    }
    const length = ctx.request.length as number | undefined;
    if (length !== undefined && length > limit) {
      sendError(ctx, new AuthServerError("body_too_large", `request body larger than ${limit} bytes`));
      ctx.set("Connection", "close");
      return;
    }
    await next();
    if (ctx.body === undefined && (ctx.status === 404 || ctx.status === 405)) {
      sendError(ctx, new AuthServerError("not_found", `no endpoint for ${ctx.method} ${ctx.path}`));
    }
  };
}
