import type { Middleware } from "koa";
import type { ClientAddressResolver } from "@gatehouse/service-kit";

interface AddressState {
  clientAddress?: string;
}

/**
 * First middleware of every app: decides the real client address once per request, from the
 * socket peer and, only when that peer is in `http.trustedProxies`, its `X-Forwarded-For` (the
 * right-most hop that is not a trusted proxy). Throttling, audit lines and logs use it, never
 * Koa's `ctx.ip`, which takes the left-most hop the client wrote itself.
 */
export function resolveClientAddress(resolver: ClientAddressResolver): Middleware {
  return async (ctx, next) => {
    const forwardedFor = ctx.get("x-forwarded-for");
    (ctx.state as AddressState).clientAddress = resolver.resolve(ctx.req.socket.remoteAddress, forwardedFor === "" ? undefined : forwardedFor).client;
    await next();
  };
}

/** The address {@link resolveClientAddress} decided (the socket peer if it did not run). */
export function clientAddressOf(ctx: { readonly state: unknown; readonly req: { readonly socket: { readonly remoteAddress?: string | undefined } } }): string {
  return (ctx.state as AddressState).clientAddress ?? ctx.req.socket.remoteAddress ?? "";
}
