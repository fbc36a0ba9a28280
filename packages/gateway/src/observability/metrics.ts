import type { Verifier } from "@gatehouse/sdk";
import { registerProcessMetrics } from "@gatehouse/service-kit";
import { Counter, Gauge, Registry } from "prom-client";
import type { Exchange } from "../http/exchange.js";
import { BatchedCounter, RouteHistogram, type CountRecord } from "./fast-metrics.js";
import type { LimiterObserver, LimitSource } from "../ratelimit/limiter.js";
import type { StoreErrorClass } from "../ratelimit/store.js";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's Prometheus metrics, in a registry of its own (served on the admin port).
 * The request path only bumps numbers in records found by Map lookups (see `fast-metrics.ts`); prom-client
 * sees the totals at each scrape.
 *
 * - `gatehouse_gateway_requests_total{route,status,decision}`
 * - `gatehouse_gateway_request_duration_seconds{route}` (whole request)
 * - `gatehouse_gateway_upstream_duration_seconds{route}` (dispatch → upstream headers)
 * - `gatehouse_gateway_ratelimit_decisions_total{route,outcome,source}`
 * - `gatehouse_gateway_ratelimit_store_errors_total{class}`
 * - `gatehouse_gateway_token_cache_total{result}`, `gatehouse_gateway_jwks_refreshes_total{result}`,
 *   `gatehouse_gateway_tokens_rejected_total` (from the verifier's counters)
 * - `gatehouse_gateway_ready` (1 when `/readyz` would answer 200), plus service-kit's process metrics (Node's
 *   default metrics, `gatehouse_gateway_log_lines_dropped_total`, `gatehouse_gateway_log_buffer_bytes`).
 */
export class GatewayMetrics implements LimiterObserver {
  readonly registry = new Registry();
  readonly #requests: BatchedCounter<"route" | "status" | "decision">;
  readonly #duration: RouteHistogram;
  readonly #upstream: RouteHistogram;
  readonly #limits: BatchedCounter<"route" | "outcome" | "source">;
  readonly #storeErrors: Counter<"class">;
  /** route → status → decision → record: three Map lookups a request, no key string built. */
  readonly #requestRecords = new Map<string, Map<number, Map<string, CountRecord>>>();
  /** route → source → [allowed, limited]. */
  readonly #limitRecords = new Map<string, Map<string, [CountRecord, CountRecord]>>();

  constructor(verifier: Verifier, ready: () => boolean) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry, "gatehouse_gateway_");
    this.#requests = new BatchedCounter({
      name: "gatehouse_gateway_requests_total",
      help: "Requests answered, by route, status and decision (forwarded or the gateway's error code).",
      labelNames: ["route", "status", "decision"],
      registry: this.registry,
    });
    this.#duration = new RouteHistogram({
      name: "gatehouse_gateway_request_duration_seconds",
      help: "Time from arrival to the end of the response, by route.",
      buckets: LATENCY_BUCKETS,
      registry: this.registry,
    });
    this.#upstream = new RouteHistogram({
      name: "gatehouse_gateway_upstream_duration_seconds",
      help: "Time from dispatch to the upstream's response headers, by route.",
      buckets: LATENCY_BUCKETS,
      registry: this.registry,
    });
    this.#limits = new BatchedCounter({
      name: "gatehouse_gateway_ratelimit_decisions_total",
      help: "Rate-limit decisions by route, outcome (allowed/limited) and source (store/local/open/closed).",
      labelNames: ["route", "outcome", "source"],
      registry: this.registry,
    });
    this.#storeErrors = new Counter({
      name: "gatehouse_gateway_ratelimit_store_errors_total",
      help: "Rate-limit store failures by class (timeout, unavailable, script, other); each one applied the failure mode.",
      labelNames: ["class"],
      registers,
    });
    new Counter({
      name: "gatehouse_gateway_token_cache_total",
      help: "Verified-token cache lookups by result (hit/miss).",
      labelNames: ["result"],
      registers,
      collect() {
        const stats = verifier.stats;
        this.reset();
        this.inc({ result: "hit" }, stats.cacheHits);
        this.inc({ result: "miss" }, stats.cacheMisses);
      },
    });
    new Counter({
      name: "gatehouse_gateway_jwks_refreshes_total",
      help: "JWKS fetches by result (ok/error).",
      labelNames: ["result"],
      registers,
      collect() {
        const stats = verifier.stats;
        this.reset();
        this.inc({ result: "ok" }, stats.jwksRefreshes);
        this.inc({ result: "error" }, stats.jwksErrors);
      },
    });
    new Counter({
      name: "gatehouse_gateway_tokens_rejected_total",
      help: "Tokens that failed verification.",
      registers,
      collect() {
        this.reset();
        this.inc(verifier.stats.rejected);
      },
    });
    new Gauge({
      name: "gatehouse_gateway_ready",
      help: "1 when the gateway is ready (rate-limit store connected or in memory, keys loaded, not draining).",
      registers,
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
  }

  /** Records one answered request. */
  observe(exchange: Exchange, durationMs: number): void {
    const route = exchange.route?.name ?? "";
    let byStatus = this.#requestRecords.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.#requestRecords.set(route, byStatus);
    }
    let byDecision = byStatus.get(exchange.status);
    if (byDecision === undefined) {
      byDecision = new Map();
      byStatus.set(exchange.status, byDecision);
    }
    let record = byDecision.get(exchange.decision);
    if (record === undefined) {
      record = this.#requests.record({ route, status: String(exchange.status), decision: exchange.decision });
      byDecision.set(exchange.decision, record);
    }
    record.pending++;
    this.#duration.series(route).observe(durationMs / 1000);
    if (exchange.upstreamMs !== undefined) this.#upstream.series(route).observe(exchange.upstreamMs / 1000);
  }

  onDecision(route: string, allowed: boolean, source: LimitSource): void {
    let bySource = this.#limitRecords.get(route);
    if (bySource === undefined) {
      bySource = new Map();
      this.#limitRecords.set(route, bySource);
    }
    let pair = bySource.get(source);
    if (pair === undefined) {
      pair = [this.#limits.record({ route, outcome: "allowed", source }), this.#limits.record({ route, outcome: "limited", source })];
      bySource.set(source, pair);
    }
    pair[allowed ? 0 : 1].pending++;
  }

  onStoreError(errorClass: StoreErrorClass): void {
    this.#storeErrors.inc({ class: errorClass });
  }
}
