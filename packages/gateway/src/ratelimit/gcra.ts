import type { RateLimitDecision } from "./store.js";

/** Slack for floating-point rounding when `windowMs / limit` is not an integer. */
const EPSILON_MS = 0.001;

/**
 * The generic cell rate algorithm (GCRA) step, the same arithmetic as the Redis Lua script:
 * each request pushes the "theoretical arrival time" (TAT) forward by `windowMs / limit`; a
 * request is allowed when the TAT it would create is at most `windowMs` ahead of now. That allows
 * a burst of `limit` and then a steady `limit` per window, with no boundary bursts.
 *
 * Returns the decision and the new TAT to store (`undefined` when denied: nothing changes).
 */
export function gcraStep(
  storedTat: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
): { decision: RateLimitDecision; tat: number | undefined } {
  const interval = windowMs / limit;
  const tat = storedTat === undefined || storedTat < now ? now : storedTat;
  const next = tat + interval;
  const allowAt = next - windowMs;
  if (allowAt - now > EPSILON_MS) {
    return {
      decision: { allowed: false, remaining: 0, resetMs: Math.ceil(tat - now), retryAfterMs: Math.ceil(allowAt - now) },
      tat: undefined,
    };
  }
  const remaining = Math.floor((windowMs - (next - now)) / interval + EPSILON_MS);
  return {
    decision: { allowed: true, remaining: Math.max(0, remaining), resetMs: Math.ceil(next - now), retryAfterMs: 0 },
    tat: next,
  };
}
