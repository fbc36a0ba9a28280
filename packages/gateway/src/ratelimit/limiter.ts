import { DEFAULT_MEMORY_MAX_KEYS, MemoryRateLimitStore, type Logger, type RateLimitDecision, type RateLimitStore } from "@gatehouse/service-kit";
import { classifyStoreError, type StoreErrorClass } from "./store.js";

/** What to do when the store cannot decide (docs/architecture.md, "Rate limiting" and "Failure defaults"). */
export type FailureMode = "open" | "closed" | "local";

/** One route's limit, compiled once. */
export interface LimitPolicy {
  /** The route name: part of the key and the `RateLimit` policy name. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Where a decision came from: the shared store, the in-process fallback (`local`), or no
 * decision at all (`open`: let through; `closed`: refused with 503).
 */
export type LimitSource = "store" | "local" | "open" | "closed";

/** One decision and where it came from. */
export interface LimitResult {
  /** `undefined` for `open` and `closed`: there is no quota to report. */
  readonly decision: RateLimitDecision | undefined;
  readonly source: LimitSource;
}

/** Hooks for metrics; called synchronously on the request path, so keep them cheap. */
export interface LimiterObserver {
  onDecision?(route: string, allowed: boolean, source: LimitSource): void;
  onStoreError?(errorClass: StoreErrorClass): void;
}

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  readonly store: RateLimitStore;
  readonly failureMode: FailureMode;
  /** Gateway processes sharing the limits; the `local` fallback allows limit ÷ replicas. */
  readonly replicas: number;
  readonly keyPrefix: string;
  readonly localMaxKeys?: number;
  readonly logger?: Logger;
  readonly observer?: LimiterObserver;
}

/**
 * Decides one request against a route's limit through the store, and applies the failure mode
 * when the store throws: `open` allows, `closed` reports `closed` (the caller answers 503),
 * `local` decides in process at `max(1, floor(limit / replicas))`. Every store failure is
 * counted (`onStoreError`); the first of an outage is logged at `warn`, then one summary line
 * every 10 s while it lasts, and the recovery at `info`.
 *
 * Keys are `<prefix><route>|<subject>` where the route name cannot contain `|`, so two routes
 * never share a key whatever the subject is.
 */
export class RateLimiter {
  readonly #options: RateLimiterOptions;
  readonly #local: MemoryRateLimitStore;
  #failing = false;
  #failuresSinceLog = 0;
  #lastLog = 0;

  constructor(options: RateLimiterOptions) {
    this.#options = options;
    this.#local = new MemoryRateLimitStore({ maxKeys: options.localMaxKeys ?? DEFAULT_MEMORY_MAX_KEYS });
  }

  /** The failure mode in force. */
  get failureMode(): FailureMode {
    return this.#options.failureMode;
  }

  /** Whether the last store call failed (for `/readyz` and logs). */
  get degraded(): boolean {
    return this.#failing;
  }

  /** `subject` is `svc:<service id>` or `ip:<address>`. */
  async check(policy: LimitPolicy, subject: string): Promise<LimitResult> {
    const key = `${this.#options.keyPrefix}${policy.name}|${subject}`;
    let result: LimitResult;
    try {
      const decision = await this.#options.store.take(key, policy.limit, policy.windowMs);
      if (this.#failing) this.#recovered();
      result = { decision, source: "store" };
    } catch (error) {
      result = this.#fallback(policy, key, error);
    }
    this.#options.observer?.onDecision?.(policy.name, result.source !== "closed" && (result.decision?.allowed ?? true), result.source);
    return result;
  }

  #fallback(policy: LimitPolicy, key: string, error: unknown): LimitResult {
    const errorClass = classifyStoreError(error);
    this.#options.observer?.onStoreError?.(errorClass);
    this.#noteFailure(errorClass, error);
    switch (this.#options.failureMode) {
      case "open":
        return { decision: undefined, source: "open" };
      case "closed":
        return { decision: undefined, source: "closed" };
      case "local": {
        const limit = Math.max(1, Math.floor(policy.limit / this.#options.replicas));
        return { decision: this.#local.takeNow(key, limit, policy.windowMs), source: "local" };
      }
    }
  }

  #noteFailure(errorClass: StoreErrorClass, error: unknown): void {
    const now = Date.now();
    const mode = this.#options.failureMode;
    if (!this.#failing) {
      this.#failing = true;
      this.#lastLog = now;
      this.#failuresSinceLog = 0;
      this.#options.logger?.warn(
        { errorClass, failureMode: mode, err: { message: error instanceof Error ? error.message : String(error) } },
        `rate-limit store failed; failure mode ${mode}`,
      );
      return;
    }
    this.#failuresSinceLog++;
    if (now - this.#lastLog >= 10_000) {
      this.#options.logger?.warn(
        { errorClass, failureMode: mode, failures: this.#failuresSinceLog },
        `rate-limit store still failing; failure mode ${mode}`,
      );
      this.#lastLog = now;
      this.#failuresSinceLog = 0;
    }
  }

  #recovered(): void {
    this.#failing = false;
    this.#options.logger?.info({ failuresSinceLastLog: this.#failuresSinceLog }, "rate-limit store recovered");
  }

  async close(): Promise<void> {
    await this.#local.close();
    await this.#options.store.close();
  }
}
