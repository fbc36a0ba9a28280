import { errors } from "oidc-provider";
import type { Logger, RateLimitDecision, RateLimitStore } from "@gatehouse/service-kit";

/** The 429 a client over its issuance ceiling gets: `temporarily_unavailable` with the seconds to wait. */
export class IssuanceLimitedError extends errors.OIDCProviderError {
  /** This package's stable code for it (the README's Errors table). */
  readonly code = "issuance_limited";
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(429, "temporarily_unavailable", { detail: "token issuance limit reached for this client and resource" });
    this.expose = true;
    this.error_description = "too many tokens issued to this client for this resource; reuse the last one or retry later";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The per-client token issuance ceiling: at most `perSecond` tokens a second per (client,
 * resource), with bursts of `burst`. A legitimate service needs one token per audience every few
 * minutes; a client minting more floods every verifier's cache downstream. Checked right before a
 * token is signed (after authentication, scope and resource checks), so only issuance counts.
 *
 * The decision is the GCRA of `@gatehouse/service-kit` (the gateway's rate limits use the same): a limit of `burst`
 * per `burst ÷ perSecond` seconds, i.e. a burst of `burst` and then `perSecond` evenly. With Redis it is one script on
 * Redis' clock (`RedisRateLimitStore`), so every worker and replica sharing the Redis shares each ceiling exactly.
 * When the store fails, the token is issued (availability beats the ceiling) and the failure logged.
 */
export class IssuanceLimit {
  readonly #store: RateLimitStore;
  readonly #keyPrefix: string;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #logger: Logger;

  /** `keyPrefix`: the Redis key prefix of the auth server's data; the ceilings live under `<keyPrefix>issue:`. */
  constructor(store: RateLimitStore, options: { perSecond: number; burst: number; keyPrefix: string }, logger: Logger) {
    this.#store = store;
    this.#keyPrefix = `${options.keyPrefix}issue:`;
    this.#burst = options.burst;
    this.#windowMs = (1000 * options.burst) / options.perSecond;
    this.#logger = logger;
  }

  /** Throws {@link IssuanceLimitedError} when `client` is over its ceiling for `resource`. */
  async take(client: string, resource: string): Promise<void> {
    let decision: RateLimitDecision;
    try {
      decision = await this.#store.take(`${this.#keyPrefix}${client}|${resource}`, this.#burst, this.#windowMs);
    } catch (error) {
      this.#logger.error({ err: error }, "issuance limit store unavailable; not limiting");
      return;
    }
    if (!decision.allowed) throw new IssuanceLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
}
