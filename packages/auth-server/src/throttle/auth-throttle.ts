import { errors } from "oidc-provider";
import type { Logger } from "@gatehouse/service-kit";
import type { FailureCounter } from "./failure-counter.js";

/** The 429 a throttled caller gets: `temporarily_unavailable` with the seconds to wait. */
export class ThrottledError extends errors.OIDCProviderError {
  /** This package's stable code for it (the README's Errors table). */
  readonly code = "too_many_failures";
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, detail: string) {
    super(429, "temporarily_unavailable", { detail });
    this.expose = true;
    this.error_description = "too many failed client authentications; retry later";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A granted attempt, to be settled once its outcome is known. */
export interface Admission {
  readonly key: string;
}

/** What a token request carries in `ctx.state` about its throttling. */
export interface ThrottleState {
  admission?: Admission | undefined;
  /** Seconds a 429 tells the caller to wait (`Retry-After`). */
  throttledFor?: number;
  /** The 429 came from the issuance ceiling, not from failed authentications. */
  issuanceLimited?: boolean;
}

/** How long an attempt waits for a slot while others with the same key are being evaluated. */
const MAX_WAIT_MS = 5000;

/**
 * Throttling of failed client authentications (oidc-provider has none), after OWASP's guidance
 * that a throttle slows guessing but never locks out a caller who proves its identity:
 *
 * - attempts for a registered client are counted per (client id, source address), attempts naming
 *   an unknown client per source address; nobody else's failures use up a caller's budget;
 * - check-and-count is atomic: an attempt is evaluated only while failures plus attempts in flight
 *   stay below `maxFailures`, so however many arrive at once, at most `maxFailures` failures per
 *   window are ever evaluated; an attempt that finds the budget busy (not spent) waits for a slot
 *   instead of being refused, so a valid client's concurrent requests all succeed;
 * - the source is the real client address (`http.trustedProxies`, right-most untrusted
 *   `X-Forwarded-For` hop), so callers behind the gateway do not share one budget.
 *
 * When the counter store fails the attempt proceeds (availability beats throttling) and the
 * failure is logged.
 */
export class AuthThrottle {
  readonly #counter: FailureCounter;
  readonly #max: number;
  readonly #window: number;
  readonly #logger: Logger;

  constructor(counter: FailureCounter, maxFailures: number, windowSeconds: number, logger: Logger) {
    this.#counter = counter;
    this.#max = maxFailures;
    this.#window = windowSeconds;
    this.#logger = logger;
  }

  /**
   * Admits an attempt for `clientId` (a registered client) or for an unknown client from
   * `source`; throws {@link ThrottledError} when that budget is spent. Undefined when the counter
   * is unavailable (the attempt proceeds unthrottled).
   */
  async admit(clientId: string | undefined, source: string): Promise<Admission | undefined> {
    return clientId === undefined
      ? this.#admit(`ip:${source}`, "too many failed client authentications from this address")
      : this.#admit(`client:${clientId}|${source}`, "too many failed authentications of this client from this address");
  }

  /** Admits an admin API authentication from `source`, under the same rules. */
  async admitAdmin(source: string): Promise<Admission | undefined> {
    return this.#admit(`admin:${source}`, "too many failed admin authentications from this address");
  }

  /** Ends an admitted attempt: a failure counts, a success only frees its slot. */
  async settle(admission: Admission, failed: boolean): Promise<void> {
    try {
      await this.#counter.settle(admission.key, failed, this.#window, true);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable");
    }
  }

  /** Counts a failed attempt that was never admitted (it named no client at all) against its source. */
  async recordUnadmitted(source: string): Promise<void> {
    try {
      await this.#counter.settle(`ip:${source}`, true, this.#window, false);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable");
    }
  }

  async #admit(key: string, detail: string): Promise<Admission | undefined> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      let reservation;
      try {
        reservation = await this.#counter.reserve(key, this.#max);
      } catch (error) {
        this.#logger.error({ err: error }, "failed-authentication counter unavailable; not throttling");
        return undefined;
      }
      if (reservation.state === "granted") return { key };
      if (reservation.state === "throttled") throw new ThrottledError(reservation.resetSeconds, detail);
      if (Date.now() >= deadline) throw new ThrottledError(1, detail);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}
