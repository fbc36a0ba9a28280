import type { Verifier } from "@gatehouse/sdk";
import { registerProcessMetrics } from "@gatehouse/service-kit";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Exchange } from "../http/exchange.js";
import type { LimiterObserver, LimitSource } from "../ratelimit/limiter.js";
import type { StoreErrorClass } from "../ratelimit/store.js";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's Prometheus metrics, in a registry of its own (served on the admin port).
 * Label children are cached so the request path does one Map lookup per metric, not a label hash.
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
  readonly #requests: Counter<"route" | "status" | "decision">;
  readonly #duration: Histogram<"route">;
  readonly #upstream: Histogram<"route">;
  readonly #limits: Counter<"route" | "outcome" | "source">;
  readonly #storeErrors: Counter<"class">;
  readonly #requestChildren = new Map<string, { inc(): void }>();
  readonly #durationChildren = new Map<string, { observe(v: number): void }>();
  readonly #upstreamChildren = new Map<string, { observe(v: number): void }>();
  readonly #limitChildren = new Map<string, { inc(): void }>();

  constructor(verifier: Verifier, ready: () => boolean) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry, "gatehouse_gateway_");
    this.#requests = new Counter({
      name: "gatehouse_gateway_requests_total",
      help: "Requests answered, by route, status and decision (forwarded or the gateway's error code).",
      labelNames: ["route", "status", "decision"],
      registers,
    });
    this.#duration = new Histogram({
      name: "gatehouse_gateway_request_duration_seconds",
      help: "Time from arrival to the end of the response, by route.",
      labelNames: ["route"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#upstream = new Histogram({
      name: "gatehouse_gateway_upstream_duration_seconds",
      help: "Time from dispatch to the upstream's response headers, by route.",
      labelNames: ["route"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#limits = new Counter({
      name: "gatehouse_gateway_ratelimit_decisions_total",
      help: "Rate-limit decisions by route, outcome (allowed/limited) and source (store/local/open/closed).",
      labelNames: ["route", "outcome", "source"],
      registers,
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
    const key = `${route}\u0000${String(exchange.status)}\u0000${exchange.decision}`;
    let requests = this.#requestChildren.get(key);
    if (requests === undefined) {
      requests = this.#requests.labels(route, String(exchange.status), exchange.decision);
      this.#requestChildren.set(key, requests);
    }
    requests.inc();
    let duration = this.#durationChildren.get(route);
    if (duration === undefined) {
      duration = this.#duration.labels(route);
      this.#durationChildren.set(route, duration);
    }
    duration.observe(durationMs / 1000);
    if (exchange.upstreamMs !== undefined) {
      let upstream = this.#upstreamChildren.get(route);
      if (upstream === undefined) {
        upstream = this.#upstream.labels(route);
        this.#upstreamChildren.set(route, upstream);
      }
      upstream.observe(exchange.upstreamMs / 1000);
    }
  }

  onDecision(route: string, allowed: boolean, source: LimitSource): void {
    const key = `${route}\u0000${String(allowed)}\u0000${source}`;
    let child = this.#limitChildren.get(key);
    if (child === undefined) {
      child = this.#limits.labels(route, allowed ? "allowed" : "limited", source);
      this.#limitChildren.set(key, child);
    }
    child.inc();
  }

  onStoreError(errorClass: StoreErrorClass): void {
    this.#storeErrors.inc({ class: errorClass });
  }
}
