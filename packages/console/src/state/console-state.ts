import { createHash } from "node:crypto";
import { EVENT_NAMES } from "@gatehouse/service-kit";
import type { AnomalyKind, ConsoleConfig } from "../config/schema.js";
import { AnomalyDetector } from "../detect/anomaly-detector.js";
import type { Finding } from "../detect/finding.js";
import type { StreamEvent } from "../stream/parse-entry.js";
import { AnomalyLog, type Anomaly, type ResponseOutcome } from "./anomaly-log.js";
import { CallGraph } from "./call-graph.js";
import { RecentEvents, type RecentEvent } from "./recent-events.js";

const KINDS: readonly AnomalyKind[] = ["new_edge", "spike", "denial_burst", "auth_failure_burst"];

/** What the state tells the rest of the console about. */
export interface StateListener {
  /** A non-traffic event was read. */
  onEvent(event: RecentEvent): void;
  /** An anomaly appeared: raised here (`raisedHere`, `live` when not replaying history) or read from the stream. */
  onAnomaly(anomaly: Anomaly, raisedHere: boolean, live: boolean): void;
}

/**
 * Everything the console knows, built from the stream alone: the call graph, recent events,
 * the detectors' baselines and the anomalies. Replaying the stream from its start rebuilds it.
 * An anomaly's id is derived from its kind, subject and the stream id of the event that completed
 * it, so an anomaly re-derived while replaying and the same anomaly read back from the stream
 * are one entry, not two.
 */
export class ConsoleState {
  readonly graph = new CallGraph();
  readonly recent: RecentEvents;
  readonly anomalies: AnomalyLog;
  readonly detector: AnomalyDetector;
  readonly #instance: string;
  readonly #initialResponse: (anomaly: Pick<Anomaly, "kind" | "service">, live: boolean) => ResponseOutcome;
  readonly #listener: StateListener;
  #lastEventMs: number | undefined;
  #eventsRead = 0;

  constructor(
    config: Pick<ConsoleConfig, "learningSeconds" | "detection" | "recentEvents" | "maxAnomalies">,
    options: {
      instance: string;
      initialResponse: (anomaly: Pick<Anomaly, "kind" | "service">, live: boolean) => ResponseOutcome;
      listener: StateListener;
    },
  ) {
    this.recent = new RecentEvents(config.recentEvents);
    this.anomalies = new AnomalyLog(config.maxAnomalies);
    this.detector = new AnomalyDetector(config);
    this.#instance = options.instance;
    this.#initialResponse = options.initialResponse;
    this.#listener = options.listener;
  }

  get lastEventMs(): number | undefined {
    return this.#lastEventMs;
  }

  get eventsRead(): number {
    return this.#eventsRead;
  }

  /**
   * Takes in a batch of events in stream order. `live` tells entries appended since the console
   * started (anomalies raised on them are published and responded to) from history being replayed.
   */
  ingest(entries: readonly StreamEvent[], live: (id: string) => boolean = () => true): void {
    for (const entry of entries) {
      const event = entry.event;
      const timeMs = Date.parse(event.time);
      this.#eventsRead++;
      this.#lastEventMs = Math.max(this.#lastEventMs ?? 0, timeMs);
      this.graph.observe(event, timeMs);
      const stored = storedAnomaly(entry);
      if (stored !== undefined) {
        if (!this.anomalies.has(stored.id)) {
          this.anomalies.add(stored);
          this.#listener.onAnomaly(stored, false, false);
        }
        continue;
      }
      if (event.event !== EVENT_NAMES.traffic) this.#listener.onEvent(this.recent.add(entry));
      for (const finding of this.detector.observe(entry)) this.#raise(finding, entry.id, live(entry.id));
    }
  }

  #raise(finding: Finding, streamId: string, live: boolean): void {
    const id = createHash("sha256").update(`${finding.kind}\u0000${finding.subject}\u0000${streamId}`).digest("base64url").slice(0, 22);
    if (this.anomalies.has(id)) return;
    const anomaly: Anomaly = {
      id,
      time: new Date(live ? Date.now() : this.#lastEventMs ?? Date.now()).toISOString(),
      event: `anomaly.${finding.kind}`,
      kind: finding.kind,
      severity: finding.severity,
      service: finding.service,
      route: finding.route,
      source: finding.source,
      summary: finding.summary,
      evidence: finding.evidence,
      instance: this.#instance,
      response: this.#initialResponse(finding, live),
    };
    this.anomalies.add(anomaly);
    this.#listener.onAnomaly(anomaly, true, live);
  }
}

/** An anomaly event (another console's, or this one's from before a restart) read from the stream. */
function storedAnomaly({ event }: StreamEvent): Anomaly | undefined {
  if (event.component !== "console" || !event.event.startsWith("anomaly.")) return undefined;
  const kind = event.event.slice("anomaly.".length) as AnomalyKind;
  const d = event.detail;
  if (!KINDS.includes(kind) || typeof d["id"] !== "string" || typeof d["summary"] !== "string") return undefined;
  const response = d["response"] as Partial<ResponseOutcome> | undefined;
  return {
    id: d["id"],
    time: event.time,
    event: `anomaly.${kind}`,
    kind,
    severity: event.severity,
    service: event.service,
    route: event.route,
    source: event.source,
    summary: d["summary"],
    evidence: typeof d["evidence"] === "object" && d["evidence"] !== null ? (d["evidence"] as Record<string, unknown>) : {},
    instance: event.instance,
    response: { action: response?.action ?? "alert", outcome: response?.outcome ?? "raised" },
  };
}
