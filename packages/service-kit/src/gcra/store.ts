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
 * over `windowMs`, no fixed-window boundary bursts). Implementations: in memory (`MemoryRateLimitStore`: one
 * process) and Redis (`RedisRateLimitStore`: one Lua script, shared by every process). Both pass one conformance
 * suite. A store throws when it cannot decide; the caller decides what that means (the gateway's failure mode, the
 * auth server's "issue anyway").
 */
export interface RateLimitStore {
  take(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
  /** Waits up to `timeoutMs` for the store to be usable; resolves whether it is. */
  ready(timeoutMs: number): Promise<boolean>;
  /** Whether the store is usable right now (for `/readyz`). */
  readonly connected: boolean;
  close(): Promise<void>;
}
