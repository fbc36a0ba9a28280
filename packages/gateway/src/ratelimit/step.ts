import { GatewayError } from "../errors.js";
import type { Exchange } from "../http/exchange.js";
import type { Step } from "../http/pipeline.js";
import { rateLimitField, retryAfterSeconds } from "./headers.js";
import type { LimitResult, RateLimiter } from "./limiter.js";

/**
 * Takes one request from the caller's quota on the route: per verified service
 * (`svc:<id>`), or per client IP (`ip:<address>`) on public routes. Sets `RateLimit-Policy` and
 * `RateLimit` on the response; over the limit answers 429 `rate_limited` with both fields and
 * `Retry-After`; with the store down in `closed` mode answers 503 `rate_limit_unavailable`.
 */
export function rateLimitStep(limiter: RateLimiter): Step {
  return (exchange) => {
    const route = exchange.route;
    const limit = route?.target.limit;
    if (route === undefined || limit === undefined) return undefined;
    const subject = route.public ? `ip:${exchange.clientAddress}` : `svc:${exchange.token?.service ?? ""}`;
    return limiter.check(limit.policy, subject).then((result) => apply(exchange, limit.policy.name, limit.policyField, result));
  };
}

function apply(exchange: Exchange, name: string, policyField: string, result: LimitResult): void {
  exchange.limitSource = result.source;
  const decision = result.decision;
  if (result.source === "closed") {
    throw new GatewayError("rate_limit_unavailable", "rate limits cannot be checked right now; retry later", {
      headers: { "retry-after": "1" },
    });
  }
  if (decision === undefined) return;
  exchange.limitRemaining = decision.remaining;
  const field = rateLimitField(name, decision);
  if (decision.allowed) {
    exchange.responseHeaders.push("ratelimit-policy", policyField, "ratelimit", field);
    return;
  }
  throw new GatewayError("rate_limited", "the rate limit of this route is exhausted; retry later", {
    headers: { "ratelimit-policy": policyField, ratelimit: field, "retry-after": String(retryAfterSeconds(decision)) },
  });
}
