import type { Severity } from "@gatehouse/service-kit";
import type { AnomalyKind } from "../config/schema.js";
import type { StreamEvent } from "../stream/parse-entry.js";

/** What a detector concludes from the events it saw: one anomaly with its evidence. */
export interface Finding {
  readonly kind: AnomalyKind;
  /** What the anomaly is about, for the cooldown: the edge, the source. */
  readonly subject: string;
  readonly severity: Severity;
  readonly service?: string | undefined;
  readonly route?: string | undefined;
  readonly source?: string | undefined;
  /** One sentence an operator reads first. */
  readonly summary: string;
  /** The figures and the stream ids of the events that triggered it. */
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** A detector sees every event once, in stream order, and may conclude an anomaly. */
export interface Detector {
  observe(entry: StreamEvent, timeMs: number): Finding | undefined;
}

/** How an edge (caller → route) is named in subjects and on the page. */
export function edgeName(service: string | undefined, route: string): string {
  return `${service ?? "(no token)"} → ${route}`;
}
