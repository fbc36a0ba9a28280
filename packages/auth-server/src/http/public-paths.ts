import type { Middleware } from "koa";
import { CERTIFICATE_PATH } from "../ca/certificate-request.js";
import { AuthServerError } from "../errors.js";
import { sendError } from "./send-error.js";

/** The only provider paths served, with their methods: the token and certificate endpoints, the JWKS and the two discovery documents. */
export const PROVIDER_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["/token", ["POST"]],
  [CERTIFICATE_PATH, ["POST"]],
  ["/jwks", ["GET", "HEAD"]],
  ["/.well-known/openid-configuration", ["GET", "HEAD"]],
  ["/.well-known/oauth-authorization-server", ["GET", "HEAD"]],
]);

/**
 * First middleware of the provider: everything oidc-provider could serve beyond
 * {@link PROVIDER_PATHS} (authorization, sessions, interactions) answers 404 `not_found`, another
 * method 405 `method_not_allowed` with `Allow` (no CORS preflight: this is service-to-service), and
 * a body announced larger than `limit` answers 413 before a byte of it is read. (Bodies without a
 * `Content-Length` are cut by oidc-provider at 56 KiB.)
 */
export function onlyProviderPaths(limit: number): Middleware {
  return async (ctx, next) => {
    const methods = PROVIDER_PATHS.get(ctx.path);
    if (methods === undefined) {
      sendError(ctx, new AuthServerError("not_found", `no endpoint at ${ctx.path}`));
      return;
    }
    if (!methods.includes(ctx.method)) {
      sendError(ctx, new AuthServerError("method_not_allowed", `${ctx.path} does not take ${ctx.method}`, { headers: { Allow: methods.join(", ") } }));
      return;
    }
    const length = ctx.request.length as number | undefined;
    if (length !== undefined && length > limit) {
      sendError(ctx, new AuthServerError("body_too_large", `request body larger than ${limit} bytes`));
      ctx.set("Connection", "close");
      return;
    }
    await next();
    if (ctx.body === undefined && ctx.status === 404) {
      sendError(ctx, new AuthServerError("not_found", `no endpoint at ${ctx.path}`));
    }
  };
}
