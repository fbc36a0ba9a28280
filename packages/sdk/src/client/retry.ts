/**
 * Exponential backoff with full jitter for token and discovery requests.
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { GatehouseError } from "../errors.js";
import type { RetryOptions } from "./types.js";

/** Resolved retry policy. */
export interface RetryPolicy {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** The retry policy of the options, with defaults; throws `invalid_options` for a negative or non-finite value. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { retries: options.retries ?? 3, baseDelayMs: options.baseDelayMs ?? 100, maxDelayMs: options.maxDelayMs ?? 2000 };
  for (const [name, value] of Object.entries(policy)) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new GatehouseError("invalid_options", `retry.${name} must be a non-negative number, got ${String(value)}`);
    }
  }
  return policy;
}

/** Codes worth another attempt: the server or the network failed, not the request. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["network_error", "timeout"]);

/** Network errors, timeouts and 5xx answers are retried; a 4xx answer (the request itself is wrong) never is. */
export function isRetryable(error: GatehouseError): boolean {
  if (error.responseStatus !== undefined) return error.responseStatus >= 500;
  return TRANSIENT_CODES.has(error.code);
}

/** The delay before retry number `attempt` (0-based): uniformly random up to min(max, base × 2^attempt). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or the retries are spent. */
export async function withRetry<T>(policy: RetryPolicy, operation: () => Promise<T>, isOpen: () => boolean): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof GatehouseError) || !isRetryable(error) || attempt >= policy.retries || !isOpen()) throw error;
    }
    await sleep(backoffDelay(policy, attempt));
  }
}
