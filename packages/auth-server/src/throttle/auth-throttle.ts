import { errors } from "oidc-provider";
import type { Logger } from "@gatehouse/service-kit";
import type { FailureCounter } from "./failure-counter.js";

const MAX_SUSPECTS = 50_000;

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

/**
 * Throttling of failed client authentications, which oidc-provider does not do. After
 * `maxFailures` failures within `windowSeconds` from one IP, or for one client id, further
 * attempts answer 429 (with `Retry-After`) until the window ends, even with a correct credential,
 * so guessing a secret or a key costs time. When the counter store fails the request proceeds
 * (availability beats throttling) and the failure is logged.
 *
 * The shared counter is consulted only for IPs and clients this process saw fail within the window,
 * so the token path of well-behaved callers costs no round trip. Behind several workers or replicas
 * an attacker therefore gets at most one attempt per process beyond the limit before that process
 * consults the shared count too.
 */
export class AuthThrottle {
  readonly #counter: FailureCounter;
  readonly #max: number;
  readonly #window: number;
  readonly #logger: Logger;
  /** Keys that failed here recently → when that window ends (bounded). */
  readonly #suspects = new Map<string, number>();

  constructor(counter: FailureCounter, maxFailures: number, windowSeconds: number, logger: Logger) {
    this.#counter = counter;
    this.#max = maxFailures;
    this.#window = windowSeconds;
    this.#logger = logger;
  }

  /** Throws {@link ThrottledError} when the IP is over its budget. */
  async checkIp(ip: string): Promise<void> {
    await this.#check(`ip:${ip}`, "too many failed client authentications from this address");
  }

  /** Throws {@link ThrottledError} when the client id is over its budget. */
  async checkClient(clientId: string): Promise<void> {
    await this.#check(`client:${clientId}`, "too many failed client authentications for this client");
  }

  /** Records one failed authentication for the IP and, when it names a registered client, for it. */
  async recordFailure(ip: string, clientId: string | undefined): Promise<void> {
    this.#suspect(`ip:${ip}`);
    if (clientId !== undefined) this.#suspect(`client:${clientId}`);
    try {
      await Promise.all([
        this.#counter.hit(`ip:${ip}`, this.#window),
        clientId === undefined ? undefined : this.#counter.hit(`client:${clientId}`, this.#window),
      ]);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable");
    }
  }

  #suspect(key: string): void {
    if (this.#suspects.size >= MAX_SUSPECTS) {
      const now = Date.now();
      for (const [k, until] of this.#suspects) if (until <= now) this.#suspects.delete(k);
      const oldest = this.#suspects.keys().next().value;
      if (this.#suspects.size >= MAX_SUSPECTS && oldest !== undefined) this.#suspects.delete(oldest);
    }
    this.#suspects.delete(key);
    this.#suspects.set(key, Date.now() + this.#window * 1000);
  }

  async #check(key: string, detail: string): Promise<void> {
    const until = this.#suspects.get(key);
    if (until === undefined) return;
    if (until <= Date.now()) {
      this.#suspects.delete(key);
      return;
    }
    let state;
    try {
      state = await this.#counter.peek(key);
    } catch (error) {
      this.#logger.error({ err: error }, "failed-authentication counter unavailable; not throttling");
      return;
    }
    if (state.count >= this.#max) throw new ThrottledError(Math.max(1, state.resetSeconds), detail);
  }
}
