import { errors } from "oidc-provider";
import type { Logger } from "@gatehouse/service-kit";
import type { FailureCounter } from "./failure-counter.js";

/** The 429 a throttled caller gets: `temporarily_unavailable` with the seconds to wait. */
export class ThrottledError extends errors.OIDCProviderError {
  /** This package's stable code for it (the README's Errors table). */
  readonly code = "too_many_failures";
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(429, "temporarily_unavailable");
    this.expose = true;
    this.error_description = "too many failed client authentications; retry later";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Throttling of failed client authentications, which oidc-provider does not do. After
 * `maxFailures` failures within `windowSeconds` from one IP, or for one client id, further
 * attempts answer 429 (with `Retry-After`) until the window ends, even with a correct credential,
 * so guessing a secret or a key costs time. When the counter store fails the request proceeds
 * (availability beats throttling) and the failure is logged.
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

  /** Throws {@link ThrottledError} when the IP is over its budget. */
  async checkIp(ip: string): Promise<void> {
    await this.#check(`ip:${ip}`);
  }

  /** Throws {@link ThrottledError} when the client id is over its budget. */
  async checkClient(clientId: string): Promise<void> {
    await this.#check(`client:${clientId}`);
  }

  /** Records one failed authentication for the IP and, when it names a registered client, for it. */
  async recordFailure(ip: string, clientId: string | undefined): Promise<void> {
    try {
      await Promise.all([
        this.#counter.hit(`ip:${ip}`, this.#window),
        clientId === undefined ? undefined : this.#counter.hit(`client:${clientId}`, this.#window),
      ]);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable");
    }
  }

  async #check(key: string): Promise<void> {
    let state;
    try {
      state = await this.#counter.peek(key);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable; not throttling");
      return;
    }
    if (state.count >= this.#max) throw new ThrottledError(Math.max(1, state.resetSeconds));
  }
}
