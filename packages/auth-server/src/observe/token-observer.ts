import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import type { KoaContextWithOIDC } from "oidc-provider";
import type { AuthThrottle } from "../throttle/auth-throttle.js";
import { ThrottledError } from "../throttle/auth-throttle.js";
import type { AuthMetrics } from "./metrics.js";

/**
 * Wraps `POST /token`: refuses an IP over its failed-authentication budget (429, `Retry-After`,
 * a `token.refused` audit line),
 * records each `invalid_client` answer against the IP and the client, and counts the outcome and
 * latency in the metrics. Other endpoints pass straight through.
 */
export function observeTokenEndpoint(metrics: AuthMetrics, throttle: AuthThrottle, logger: Logger): Middleware {
  return async (rawCtx, next) => {
    if (rawCtx.path !== "/token") {
      await next();
      return;
    }
    const ctx = rawCtx as unknown as KoaContextWithOIDC;
    const started = process.hrtime.bigint();
    let throttled: ThrottledError | undefined;
    try {
      await throttle.checkIp(ctx.ip);
      await next();
    } catch (error) {
      if (!(error instanceof ThrottledError)) throw error;
      throttled = error;
      logger.warn(
        { audit: true, event: "token.refused", error: error.error, reason: error.error_detail, status: 429, remote: ctx.ip },
        "token request refused",
      );
      ctx.status = 429;
      ctx.set("Cache-Control", "no-store");
      ctx.body = { error: error.error, error_description: error.error_description };
    }
    const oidc = (rawCtx as { oidc?: KoaContextWithOIDC["oidc"] }).oidc;
    const body = ctx.body as { error?: unknown } | undefined;
    const error = typeof body?.error === "string" ? body.error : undefined;
    if (ctx.status === 429) {
      const state = ctx.state as { throttledFor?: number };
      ctx.set("Retry-After", String(throttled?.retryAfterSeconds ?? state.throttledFor ?? 1));
    }
    if (error === "invalid_client") await throttle.recordFailure(ctx.ip, oidc?.client?.clientId);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (ctx.status === 200 && oidc !== undefined) {
      const token = oidc.entities.ClientCredentials;
      metrics.tokensIssued.inc({ client: oidc.client?.clientId ?? "", resource: typeof token?.aud === "string" ? token.aud : "" });
      metrics.tokenLatency.observe({ outcome: "issued" }, seconds);
    } else {
      metrics.tokenFailures.inc({ error: error ?? String(ctx.status) });
      metrics.tokenLatency.observe({ outcome: "refused" }, seconds);
    }
  };
}

