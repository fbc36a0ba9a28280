import type { Severity } from "@gatehouse/service-kit";
import type { AnomalyKind, ResponseAction } from "../config/schema.js";

/** What happened to an anomaly's configured response. */
export interface ResponseOutcome {
  readonly action: ResponseAction;
  /** `raised` (alert: the anomaly event is the alert), `pending`, `done`, `failed`, or `skipped` (replayed or no service to act on). */
  readonly outcome: "raised" | "pending" | "done" | "failed" | "skipped";
  readonly detail?: string | undefined;
}

/** One anomaly as `GET /api/anomalies` shows it. */
export interface Anomaly {
  readonly id: string;
  readonly time: string;
  readonly event: `anomaly.${AnomalyKind}`;
  readonly kind: AnomalyKind;
  readonly severity: Severity;
  readonly service?: string | undefined;
  readonly route?: string | undefined;
  readonly source?: string | undefined;
  readonly summary: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  /** The console instance that raised it. */
  readonly instance: string;
  response: ResponseOutcome;
}

/** The anomalies raised so far (by this console or read from the stream), newest first, bounded. */
export class AnomalyLog {
  readonly #capacity: number;
  readonly #byId = new Map<string, Anomaly>();
  #list: Anomaly[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  add(anomaly: Anomaly): void {
    if (this.#byId.has(anomaly.id)) return;
    this.#byId.set(anomaly.id, anomaly);
    this.#list.push(anomaly);
    this.#list.sort((a, b) => b.time.localeCompare(a.time));
    for (const dropped of this.#list.splice(this.#capacity)) this.#byId.delete(dropped.id);
  }

  get(id: string): Anomaly | undefined {
    return this.#byId.get(id);
  }

  list(): readonly Anomaly[] {
    return this.#list;
  }
}
