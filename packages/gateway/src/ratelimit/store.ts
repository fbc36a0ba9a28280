/** The outcome of taking one request from a caller's quota. */
export interface RateLimitDecision {
  /** Whether this request fits the quota (and was counted). */
  readonly allowed: boolean;
  /** Requests still allowed right now after this one (0 when denied). */
  readonly remaining: number;
  /** Milliseconds until the quota is whole again. */
  readonly resetMs: number;
  /** When denied, milliseconds until one request fits again; 0 when allowed. */
  readonly retryAfterMs: number;
}

/**
 * A rate-limit store: one atomic GCRA decision per call (burst up to `limit`, refilled evenly
 * over `windowMs`, no fixed-window boundary bursts). Implementations: in memory (dev mode and
 * the `local` fallback) and Redis (one Lua script, one round trip). Both pass one conformance
 * suite. A store throws when it cannot decide; the limiter turns that into the failure mode.
 */
export interface RateLimitStore {
  take(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
  /** Waits up to `timeoutMs` for the store to be usable; resolves whether it is. */
  ready(timeoutMs: number): Promise<boolean>;
  /** Whether the store is usable right now (for `/readyz`). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Why a store could not decide, for metrics and logs (envoyproxy/ratelimit-style error classes). */
export type StoreErrorClass = "timeout" | "unavailable" | "script" | "other";

/** Classifies an error thrown by a store; ioredis gives no codes for these, only messages. */
export function classifyStoreError(error: unknown): StoreErrorClass {
  if (!(error instanceof Error)) return "other";
  if (error.message === "Command timed out") return "timeout";
  if (error.name === "ReplyError") return "script";
  const code = (error as NodeJS.ErrnoException).code;
  if (
    error.message.startsWith("Stream isn't writeable") ||
    error.message === "Connection is closed." ||
    error.name === "MaxRetriesPerRequestError" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EPIPE"
  ) {
    return "unavailable";
  }
  return "other";
}
