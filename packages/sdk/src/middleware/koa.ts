/**
 * Koa middleware for a backend that verifies the caller's token again behind the gateway (defence in depth).
 * Typed structurally: the SDK does not depend on Koa.
 *
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { VerifiedToken } from "../verifier/types.js";
import { queryOf } from "../rules/bearer-header.js";
import { authenticate, checkOptions, type RequireServiceOptions } from "./authenticate.js";

/** What `requireService` adds to `ctx.state`; type the app with it: `new Koa<GatehouseState>()`. */
export interface GatehouseState {
  /** The verified token of the caller, set before the next middleware runs. */
  gatehouse?: VerifiedToken;
}

/** The part of a Koa context the middleware uses. */
export interface KoaContextLike {
  readonly req: IncomingMessage;
  state: GatehouseState;
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/** A Koa middleware function. */
export type KoaMiddlewareLike = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/**
 * Protects the routes after it: the request must carry `Authorization: Bearer` with a token for `audience`, with
 * every scope of `scopes`, from one of `services` (when given), with every attribute of `attributes` (when given)
 * (the one policy evaluator, `evaluatePolicy`). On success `ctx.state.gatehouse` is the {@link VerifiedToken} and the
 * next middleware runs; otherwise it answers 401/403 (400 for a malformed header or an `access_token` query
 * parameter, 503 when keys are unavailable) with a JSON body `{ error, error_description }` and, for 400/401/403, the
 * RFC 6750 §3 `WWW-Authenticate` header, and the next middleware does not run.
 *
 * Throws `invalid_options` at creation when `audience` or the verifier is missing, or a scope or service name is
 * not one.
 *
 * @example
 * app.use(requireService({ verifier, audience: "https://inventory.internal", scopes: ["inventory:read"] }));
 */
export function requireService(options: RequireServiceOptions): KoaMiddlewareLike {
  checkOptions(options);
  return async (ctx, next) => {
    const result = await authenticate(ctx.req.rawHeaders, options, queryOf(ctx.req.url), ctx.req.socket);
    if (result.ok) {
      ctx.state.gatehouse = result.token;
      await next();
      return;
    }
    ctx.status = result.failure.status;
    for (const [name, value] of Object.entries(result.failure.headers)) ctx.set(name, value);
    ctx.body = result.failure.body;
  };
}
