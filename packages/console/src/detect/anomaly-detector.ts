import type { ConsoleConfig } from "../config/schema.js";
import type { StreamEvent } from "../stream/parse-entry.js";
import { AuthFailureBurstDetector } from "./auth-failure-burst.js";
import { DenialBurstDetector } from "./denial-burst.js";
import type { Detector, Finding } from "./finding.js";
import { NewEdgeDetector } from "./new-edge.js";
import { SpikeDetector } from "./spike.js";

/**
 * Every detector in one place, fed each event once in stream order with the event's own time.
 * The same finding (kind and subject) is reported at most once per `cooldownSeconds`. Anomalies
 * the console itself wrote (`component: console`) are not fed back in.
 */
export class AnomalyDetector {
  readonly #detectors: readonly Detector[];
  readonly #newEdges: NewEdgeDetector;
  readonly #cooldownMs: number;
  readonly #lastRaised = new Map<string, number>();

  constructor(config: Pick<ConsoleConfig, "learningSeconds" | "detection">) {
    const d = config.detection;
    this.#newEdges = new NewEdgeDetector({ learningSeconds: config.learningSeconds });
    this.#detectors = [
      this.#newEdges,
      new SpikeDetector(d),
      new DenialBurstDetector(d.denialBurst),
      new AuthFailureBurstDetector(d.authFailureBurst),
    ];
    this.#cooldownMs = d.cooldownSeconds * 1000;
  }

  /** When the new-edge learning period ends (epoch ms), once an event was seen. */
  get learningEndsAt(): number | undefined {
    return this.#newEdges.learningEndsAt;
  }

  /** Feeds one event to every detector; returns the findings that are not in their cooldown. */
  observe(entry: StreamEvent): Finding[] {
    if (entry.event.component === "console") return [];
    const timeMs = Date.parse(entry.event.time);
    const findings: Finding[] = [];
    for (const detector of this.#detectors) {
      const finding = detector.observe(entry, timeMs);
      if (finding === undefined) continue;
      const key = `${finding.kind}\u0000${finding.subject}`;
      const last = this.#lastRaised.get(key);
      if (last !== undefined && timeMs - last < this.#cooldownMs) continue;
      if (this.#lastRaised.size >= 100_000) this.#lastRaised.clear();
      this.#lastRaised.set(key, timeMs);
      findings.push(finding);
    }
    return findings;
  }
}
