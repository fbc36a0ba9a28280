import { EVENT_NAMES } from "@gatehouse/service-kit";
import type { StreamEvent } from "../stream/parse-entry.js";
import { edgeName, type Detector, type Finding } from "./finding.js";
import { SlidingWindowCounter } from "./sliding-window.js";

/**
 * `anomaly.denial_burst`: at least `threshold` gateway denials (401 `gateway.unauthenticated`,
 * 403 `gateway.forbidden`) within `windowSeconds` on one edge; a request without a token has no
 * caller, so those count per source address and route instead.
 */
export class DenialBurstDetector implements Detector {
  readonly #threshold: number;
  readonly #windowSeconds: number;
  readonly #counter: SlidingWindowCounter;

  constructor(options: { threshold: number; windowSeconds: number }) {
    this.#threshold = options.threshold;
    this.#windowSeconds = options.windowSeconds;
    this.#counter = new SlidingWindowCounter(options.windowSeconds, options.threshold);
  }

  observe({ id, event }: StreamEvent, timeMs: number): Finding | undefined {
    if (event.event !== EVENT_NAMES.unauthenticated && event.event !== EVENT_NAMES.forbidden) return undefined;
    const route = event.route ?? "(no route)";
    const caller = event.service ?? `source ${event.source ?? "unknown"}`;
    const subject = `${caller} → ${route}`;
    const window = this.#counter.add(subject, timeMs, id, event.source);
    if (window.count < this.#threshold) return undefined;
    this.#counter.reset(subject);
    return {
      kind: "denial_burst",
      subject,
      severity: "warning",
      service: event.service,
      route,
      source: event.service === undefined ? event.source : undefined,
      summary: `${String(window.count)} denials in ${String(Math.max(1, Math.round((timeMs - window.firstMs) / 1000)))} s on ${event.service === undefined ? subject : edgeName(event.service, route)}`,
      evidence: {
        denials: window.count,
        threshold: this.#threshold,
        windowSeconds: this.#windowSeconds,
        firstAt: new Date(window.firstMs).toISOString(),
        lastAt: new Date(timeMs).toISOString(),
        lastStatus: event.detail["status"],
        sources: window.sources,
        eventIds: window.ids,
      },
    };
  }
}
