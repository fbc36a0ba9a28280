import { Counter, Histogram, type MetricType, type Registry } from "prom-client";

// prom-client declares the metric type as a numeric enum; at run time (and in the exposition) it is the string.
const HISTOGRAM_TYPE = "histogram" as unknown as MetricType;

/**
 * Request-path recorders for prom-client metrics. prom-client's `observe`/`inc` builds a labels object, validates it and
 * hashes it into a string on every call, even through a cached `labels()` child (about 7% of the gateway's busy time
 * under load). Here the request path only bumps numbers in a record it looked up once per label set; prom-client sees
 * the totals when `/metrics` is scraped. The exposition is prom-client's own, unchanged.
 */

/** Counts of one label set, added to the counter at the next scrape. */
export class CountRecord {
  pending = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
}

/** A prom-client counter whose request-path increments are batched in {@link CountRecord}s. */
export class BatchedCounter<L extends string> {
  readonly #records: CountRecord[] = [];

  constructor(options: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const records = this.#records;
    new Counter<L>({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      registers: [options.registry],
      collect() {
        for (const record of records) {
          if (record.pending === 0) continue;
          this.inc(record.labels as Partial<Record<L, string>>, record.pending);
          record.pending = 0;
        }
      },
    });
  }

  /** A new record for one label set; keep it and bump `pending` on the request path. */
  record(labels: Readonly<Record<L, string>>): CountRecord {
    const record = new CountRecord(labels);
    this.#records.push(record);
    return record;
  }
}

/** The buckets, sum and count of one label set of a {@link RouteHistogram}. */
export class HistogramSeries {
  readonly #bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram with one label, `route`, exposed by prom-client as any other histogram, observed through a
 * {@link HistogramSeries} per route (a bucket search and three additions, no allocation).
 */
export class RouteHistogram extends Histogram<"route" | "le"> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    super({ name: options.name, help: options.help, labelNames: ["route"], buckets: [...options.buckets], registers: [options.registry] });
    this.#name = options.name;
    this.#help = options.help;
    this.#bounds = [...options.buckets];
  }

  /** The recorder of one route, made on first use. */
  series(route: string): HistogramSeries {
    let series = this.#series.get(route);
    if (series === undefined) {
      series = new HistogramSeries(this.#bounds);
      this.#series.set(route, series);
    }
    return series;
  }

  // prom-client's own `get` reads its label hash map, which the series bypass: both exposition paths (the registry
  // prefers `getForPromString`) answer from the series instead.
  override get(): ReturnType<Histogram<"route" | "le">["get"]> {
    const name = this.#name;
    const values: Awaited<ReturnType<Histogram<"route" | "le">["get"]>>["values"] = [];
    for (const [route, series] of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { le: bound, route }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push(
        { labels: { le: "+Inf", route }, value: series.count, metricName: `${name}_bucket` },
        { labels: { route }, value: series.sum, metricName: `${name}_sum` },
        { labels: { route }, value: series.count, metricName: `${name}_count` },
      );
    }
    return Promise.resolve({ name, help: this.#help, type: HISTOGRAM_TYPE, aggregator: "sum", collect: () => undefined, values });
  }

  getForPromString(): ReturnType<Histogram<"route" | "le">["get"]> {
    return this.get();
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    if (#series in this) this.#series.clear();
  }
}
