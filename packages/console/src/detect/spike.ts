import { EVENT_NAMES } from "@gatehouse/service-kit";
import type { StreamEvent } from "../stream/parse-entry.js";
import { edgeName, type Detector, type Finding } from "./finding.js";

export interface SpikeOptions {
  readonly bucketSeconds: number;
  readonly baselineHalfLifeSeconds: number;
  readonly spikeFactor: number;
  readonly spikeMinRate: number;
  readonly spikeMinBuckets: number;
}

interface EdgeRate {
  bucket: number;
  count: number;
  ids: string[];
  /** Requests per second, exponentially weighted over closed buckets. */
  baseline: number;
  buckets: number;
  raisedInBucket: boolean;
}

/**
 * `anomaly.spike`: an edge's request rate in the current bucket (the sum of every gateway
 * replica's `gateway.traffic` counts) reaches `spikeFactor` × its baseline and at least
 * `spikeMinRate` per second, once the edge has `spikeMinBuckets` buckets of history. The baseline
 * is an exponentially weighted mean of closed buckets with the configured half-life; empty
 * buckets count as zero. Raised as soon as the running count crosses the bar, not at bucket end.
 */
export class SpikeDetector implements Detector {
  readonly #options: SpikeOptions;
  readonly #alpha: number;
  readonly #edges = new Map<string, EdgeRate>();

  constructor(options: SpikeOptions) {
    this.#options = options;
    this.#alpha = 1 - 0.5 ** (options.bucketSeconds / options.baselineHalfLifeSeconds);
  }

  observe({ id, event }: StreamEvent, timeMs: number): Finding | undefined {
    if (event.event !== EVENT_NAMES.traffic || event.route === undefined) return undefined;
    const requests = event.detail["requests"];
    if (typeof requests !== "number" || !Number.isFinite(requests) || requests < 0) return undefined;
    const key = edgeName(event.service, event.route);
    const bucket = Math.floor(timeMs / (this.#options.bucketSeconds * 1000));
    let edge = this.#edges.get(key);
    if (edge === undefined) {
      if (this.#edges.size >= 100_000) return undefined;
      edge = { bucket, count: 0, ids: [], baseline: 0, buckets: 0, raisedInBucket: false };
      this.#edges.set(key, edge);
    }
    if (bucket > edge.bucket) this.#close(edge, bucket);
    edge.count += requests;
    if (edge.ids.length < 10) edge.ids.push(id);
    if (edge.raisedInBucket || edge.buckets < this.#options.spikeMinBuckets) return undefined;
    const rate = edge.count / this.#options.bucketSeconds;
    if (rate < this.#options.spikeMinRate || rate < this.#options.spikeFactor * edge.baseline) return undefined;
    edge.raisedInBucket = true;
    const times = edge.baseline > 0 ? Math.round((rate / edge.baseline) * 10) / 10 : undefined;
    return {
      kind: "spike",
      subject: key,
      severity: "warning",
      service: event.service,
      route: event.route,
      summary: `${key} at ${rate.toFixed(1)} req/s against a baseline of ${edge.baseline.toFixed(2)} req/s${times === undefined ? "" : ` (${String(times)}×)`}`,
      evidence: {
        ratePerSecond: round(rate),
        baselinePerSecond: round(edge.baseline),
        factor: this.#options.spikeFactor,
        minRate: this.#options.spikeMinRate,
        bucketSeconds: this.#options.bucketSeconds,
        bucketStart: new Date(edge.bucket * this.#options.bucketSeconds * 1000).toISOString(),
        requestsInBucket: edge.count,
        baselineBuckets: edge.buckets,
        eventIds: edge.ids.slice(),
      },
    };
  }

  /** Folds the finished bucket and any empty ones after it into the baseline. */
  #close(edge: EdgeRate, bucket: number): void {
    const rate = edge.count / this.#options.bucketSeconds;
    edge.baseline = edge.buckets === 0 ? rate : edge.baseline + this.#alpha * (rate - edge.baseline);
    const empty = bucket - edge.bucket - 1;
    if (empty > 0) edge.baseline *= (1 - this.#alpha) ** Math.min(empty, 10_000);
    edge.buckets += 1 + Math.max(0, empty);
    edge.bucket = bucket;
    edge.count = 0;
    edge.ids = [];
    edge.raisedInBucket = false;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
