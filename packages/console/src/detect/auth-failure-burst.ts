import { EVENT_NAMES } from "@gatehouse/service-kit";
import type { StreamEvent } from "../stream/parse-entry.js";
import type { Detector, Finding } from "./finding.js";
import { SlidingWindowCounter } from "./sliding-window.js";

/**
 * `anomaly.auth_failure_burst`: at least `threshold` failed (`auth.client_auth_failed`) or
 * throttled (`auth.throttled`) authentications from one source address within `windowSeconds`,
 * whichever auth-server replica saw them.
 */
export class AuthFailureBurstDetector implements Detector {
  readonly #threshold: number;
  readonly #windowSeconds: number;
  readonly #counter: SlidingWindowCounter;
  readonly #clients = new Map<string, Set<string>>();

  constructor(options: { threshold: number; windowSeconds: number }) {
    this.#threshold = options.threshold;
    this.#windowSeconds = options.windowSeconds;
    this.#counter = new SlidingWindowCounter(options.windowSeconds, options.threshold);
  }

  observe({ id, event }: StreamEvent, timeMs: number): Finding | undefined {
    if (event.event !== EVENT_NAMES.authFailed && event.event !== EVENT_NAMES.authThrottled) return undefined;
    const source = event.source ?? "unknown";
    const window = this.#counter.add(source, timeMs, id, undefined);
    if (this.#clients.size >= 10_000 && !this.#clients.has(source)) this.#clients.clear();
    const clients = this.#clients.get(source) ?? new Set<string>();
    if (event.service !== undefined && clients.size < 10) clients.add(event.service);
    this.#clients.set(source, clients);
    if (window.count < this.#threshold) return undefined;
    this.#counter.reset(source);
    this.#clients.delete(source);
    const claimed = [...clients];
    return {
      kind: "auth_failure_burst",
      subject: `source ${source}`,
      severity: "critical",
      service: claimed.length === 1 ? claimed[0] : undefined,
      source,
      summary: `${String(window.count)} failed authentications from ${source} in ${String(Math.max(1, Math.round((timeMs - window.firstMs) / 1000)))} s${claimed.length > 0 ? ` (claiming ${claimed.join(", ")})` : ""}`,
      evidence: {
        failures: window.count,
        threshold: this.#threshold,
        windowSeconds: this.#windowSeconds,
        firstAt: new Date(window.firstMs).toISOString(),
        lastAt: new Date(timeMs).toISOString(),
        claimedClients: claimed,
        eventIds: window.ids,
      },
    };
  }
}
