import type { Middleware } from "koa";
import type { KoaContextWithOIDC } from "oidc-provider";
import { clientAddressOf } from "../http/client-address.js";
import type { AuthThrottle, ThrottleState } from "../throttle/auth-throttle.js";
import type { CertificateState } from "../ca/certificate-grant.js";
import type { AuthMetrics } from "./metrics.js";
import type { AuthSecurityEvents } from "./security-events.js";
import { claimedClientId } from "./claimed-client.js";

/**
 * Wraps `POST /token`: settles the attempt the throttle admitted at client lookup (a success gives
 * its slot back, an `invalid_client` keeps it; an `invalid_client` that named no client at all
 * counts against the source address), sets `Retry-After` on a 429, and counts the outcome and
 * latency in the metrics. Other endpoints pass straight through.
 */
export function observeTokenEndpoint(metrics: AuthMetrics, throttle: AuthThrottle, events: AuthSecurityEvents): Middleware {
  return async (rawCtx, next) => {
    if (rawCtx.path !== "/token") {
      await next();
      return;
    }
    const ctx = rawCtx as unknown as KoaContextWithOIDC;
    const state = ctx.state as ThrottleState;
    const started = process.hrtime.bigint();
    let error: string | undefined;
    try {
      await next();
      const body = ctx.body as { error?: unknown } | undefined;
      error = typeof body?.error === "string" ? body.error : undefined;
    } finally {
      // Always settled, so an attempt never keeps its slot beyond its request.
      if (state.admission !== undefined) await throttle.settle(state.admission, error === "invalid_client");
      else if (error === "invalid_client") await throttle.recordUnadmitted(clientAddressOf(ctx));
    }
    const oidc = (rawCtx as { oidc?: KoaContextWithOIDC["oidc"] }).oidc;
    if (ctx.status === 429 && state.throttledFor !== undefined) ctx.set("Retry-After", String(state.throttledFor));
    if (state.issuanceLimited === true) metrics.issuanceLimited.inc({ client: oidc?.client?.clientId ?? "" });
    if (ctx.status === 429) events.throttled(oidc === undefined ? undefined : claimedClientId(ctx), clientAddressOf(ctx), state.throttledFor);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (ctx.status === 200 && (ctx.state as CertificateState).issuedCertificate !== undefined) {
      metrics.certificatesIssued.inc({ client: oidc?.client?.clientId ?? "" });
    } else if (ctx.status === 200 && oidc !== undefined) {
      const token = oidc.entities.ClientCredentials;
      metrics.tokensIssued.inc({ client: oidc.client?.clientId ?? "", resource: typeof token?.aud === "string" ? token.aud : "" });
      metrics.tokenLatency.observe({ outcome: "issued" }, seconds);
    } else {
      metrics.tokenFailures.inc({ error: error ?? String(ctx.status) });
      metrics.tokenLatency.observe({ outcome: "refused" }, seconds);
    }
  };
}
