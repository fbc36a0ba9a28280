import type { FixedKeysLine } from "@gatehouse/service-kit";
import type { Exchange } from "../http/exchange.js";

/** The keys of an access line, fixed: none is redacted, so the line is assembled from a template (`fixedKeysLine`). */
export const ACCESS_LOG_KEYS = [
  "requestId",
  "method",
  "path",
  "route",
  "service",
  "status",
  "decision",
  "latencyMs",
  "upstreamMs",
  "rateLimit",
  "client",
  "traceparent",
] as const;

/**
 * One JSON line per request, written through a `fixedKeysLine(logger, ACCESS_LOG_KEYS, "request")` (plain values only):
 * request id, method, canonical path, route, calling service, status, decision, total and upstream latency in ms, rate-limit source, client address and
 * `traceparent` when sent. Never the token or any header value besides those.
 */
export function writeAccessLog(write: FixedKeysLine<(typeof ACCESS_LOG_KEYS)[number]>, exchange: Exchange, durationMs: number): void {
  const traceparent = exchange.req.headers["traceparent"];
  write({
    requestId: exchange.requestId,
    method: exchange.req.method,
    path: exchange.path,
    route: exchange.route?.name,
    service: exchange.token?.service,
    status: exchange.status,
    decision: exchange.decision,
    latencyMs: round(durationMs),
    upstreamMs: exchange.upstreamMs === undefined ? undefined : round(exchange.upstreamMs),
    rateLimit: exchange.limitSource,
    client: exchange.clientAddress,
    traceparent: Array.isArray(traceparent) ? traceparent.join(", ") : traceparent,
  });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
