import type { RateLimitDecision } from "@gatehouse/service-kit";

/**
 * Rate-limit response fields per draft-ietf-httpapi-ratelimit-headers-09 (March 2025):
 * `RateLimit-Policy` (§4) names the quota policy with its quota `q` and window `w` in seconds,
 * `RateLimit` (§5) gives the remaining quota `r` and the seconds `t` until it resets, both as
 * Structured Field lists (RFC 9651) whose item is the policy name as a String. Only this one
 * family is sent (no `X-RateLimit-*`). `Retry-After` (RFC 9110 §10.2.3) accompanies a 429.
 */
export function rateLimitPolicyField(name: string, limit: number, windowSeconds: number): string {
  return `"${name}";q=${limit};w=${windowSeconds}`;
}

/** The `RateLimit` field value for one decision (see {@link rateLimitPolicyField}). */
export function rateLimitField(name: string, decision: RateLimitDecision): string {
  return `"${name}";r=${decision.remaining};t=${Math.ceil(decision.resetMs / 1000)}`;
}

/** Whole seconds for `Retry-After`: at least 1, rounded up. */
export function retryAfterSeconds(decision: RateLimitDecision): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}
