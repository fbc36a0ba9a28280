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
  throttledFor?: number;
}

/**
 * Throttling of failed client authentications (oidc-provider has none), after OWASP's guidance
 * that a throttle slows guessing but never locks out a caller who proves its identity:
 *
 * - attempts for a registered client are counted per (client id, source address), attempts naming
 *   an unknown client per source address; nobody else's failures use up a caller's budget;
 * - each attempt reserves a slot before its credential is evaluated (atomic check-and-count), so
 *   however many arrive at once, at most `maxFailures` per window are evaluated; an attempt that
 *   succeeds hands its slot back, a failed one keeps it until the window ends;
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
   * Reserves an attempt for `clientId` (a registered client) or for an unknown client from
   * `source`; throws {@link ThrottledError} when that budget is spent. Undefined when the counter
   * is unavailable (the attempt proceeds unthrottled).
   */
  async admit(clientId: string | undefined, source: string): Promise<Admission | undefined> {
    return clientId === undefined
      ? this.#admit(`ip:${source}`, "too many failed client authentications from this address")
      : this.#admit(`client:${clientId}|${source}`, "too many failed authentications of this client from this address");
  }

  /** Reserves an admin API authentication from `source`, under the same rules. */
  async admitAdmin(source: string): Promise<Admission | undefined> {
    return this.#admit(`admin:${source}`, "too many failed admin authentications from this address");
  }

  async #admit(key: string, detail: string): Promise<Admission | undefined> {
    let reservation;
    try {
      reservation = await this.#counter.reserve(key, this.#max, this.#window);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable; not throttling");
      return undefined;
    }
    if (!reservation.granted) throw new ThrottledError(reservation.resetSeconds, detail);
    return { key };
  }

  /** Settles an admitted attempt: a success gives its slot back, a failure keeps it. */
  async settle(admission: Admission, failed: boolean): Promise<void> {
    if (failed) return;
    try {
      await this.#counter.release(admission.key);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable");
    }
  }

  /** Counts a failed attempt that was never admitted (no client id at all) against its source. */
  async recordUnadmitted(source: string): Promise<void> {
    await this.admit(undefined, source).catch(() => undefined);
  }
}
