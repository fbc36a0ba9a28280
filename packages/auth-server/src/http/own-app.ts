import Koa from "koa";
import type Router from "@koa/router";
import type { ClientAddressResolver, Logger } from "@gatehouse/service-kit";
import { AuthServerError, isAuthServerError } from "../errors.js";
import { resolveClientAddress } from "./client-address.js";
import { sendError } from "./send-error.js";

/**
 * The Koa app for everything that is not oidc-provider's (health, admin, metrics). Its outermost
 * middleware renders every error as JSON: the error's own body when it is exposed, a generic
 * `server_error` otherwise (logged with its stack, never sent). Unknown paths answer 404 `not_found`,
 * a known path with another method 405 `method_not_allowed` (with the router's `Allow`).
 */
export function createOwnApp(logger: Logger, routers: readonly Router[], proxy: boolean, addresses: ClientAddressResolver): Koa {
  const app = new Koa({ proxy });
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        sendError(ctx, new AuthServerError("not_found", `no endpoint at ${ctx.path}`));
      } else if (ctx.status === 405 && ctx.body === undefined) {
        sendError(ctx, new AuthServerError("method_not_allowed", `${ctx.path} does not take ${ctx.method}`));
      }
    } catch (error) {
      if (isAuthServerError(error)) {
        sendError(ctx, error);
        return;
      }
      logger.error({ err: error, path: ctx.path, method: ctx.method }, "request failed");
      sendError(ctx, new AuthServerError("server_error", "unexpected error"));
    }
  });
  app.use(resolveClientAddress(addresses));
  for (const router of routers) app.use(router.routes()).use(router.allowedMethods());
  return app;
}
