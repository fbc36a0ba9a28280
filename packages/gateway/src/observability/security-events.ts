import { EVENT_NAMES, EventPublisher, type EventsConfig } from "@gatehouse/service-kit";
import type { Registry } from "prom-client";
import type { Exchange } from "../http/exchange.js";

/** How often the per-edge traffic counts go out as `gateway.traffic` events. */
export const TRAFFIC_INTERVAL_MS = 5_000;

interface EdgeCounts {
  readonly service: string | undefined;
  readonly route: string;
  requests: number;
  denied: number;
  limited: number;
  failed: number;
  /** Highest share of the route's rate limit used during the interval (0..1). */
  pressure: number;
}

/**
 * Turns answered requests into security events: one event per 401 (`gateway.unauthenticated`),
 * 403 (`gateway.forbidden`), 429 (`gateway.rate_limited`) and upstream failure
 * (`gateway.upstream_failed`), and, every 5 s, one `gateway.traffic` event per edge
 * (calling service → route) with its counts, so the console sees rates without an event per
 * request. The request path only bumps counters in a Map; publishing is queued and never waits.
 * With `events.enabled: false` or without Redis it does nothing at all.
 */
export class GatewaySecurityEvents {
  readonly #publisher: EventPublisher;
  readonly #edges = new Map<string, EdgeCounts>();
  readonly #timer: NodeJS.Timeout;
  readonly #intervalMs: number;
  /** False with `events.enabled: false` or without Redis: nothing is counted or queued then. */
  readonly #enabled: boolean;

  constructor(config: EventsConfig, options: { redisUrl?: string | undefined; registry: Registry; intervalMs?: number }) {
    this.#publisher = new EventPublisher({
      component: "gateway",
      redisUrl: config.enabled ? options.redisUrl : undefined,
      stream: config.stream,
      maxLength: config.maxLength,
      queueLimit: config.queueLimit,
      registry: options.registry,
      // The access log already has a line per request with its decision.
    });
    this.#intervalMs = options.intervalMs ?? TRAFFIC_INTERVAL_MS;
    this.#enabled = config.enabled && options.redisUrl !== undefined;
    this.#timer = setInterval(() => this.flushTraffic(), this.#intervalMs).unref();
  }

  /** Records one answered request (called once per request, after the response). */
  observe(exchange: Exchange): void {
    const route = exchange.route;
    if (route === undefined || !this.#enabled) return;
    const service = exchange.token?.service;
    const key = `${service ?? ""}\u0000${route.name}`;
    let edge = this.#edges.get(key);
    if (edge === undefined) {
      edge = { service, route: route.name, requests: 0, denied: 0, limited: 0, failed: 0, pressure: 0 };
      this.#edges.set(key, edge);
    }
    edge.requests++;
    const limit = route.target.limit?.policy.limit;
    if (limit !== undefined && exchange.limitRemaining !== undefined) {
      edge.pressure = Math.max(edge.pressure, 1 - exchange.limitRemaining / limit);
    }
    const status = exchange.status;
    if (exchange.decision === "forwarded") return;
    const name = eventFor(exchange);
    if (name === undefined) return;
    if (name === EVENT_NAMES.rateLimited) {
      edge.limited++;
      edge.pressure = 1;
    } else if (name === EVENT_NAMES.upstreamFailed) {
      edge.failed++;
    } else {
      edge.denied++;
    }
    this.#publisher.publish({
      event: name,
      severity: name === EVENT_NAMES.upstreamFailed ? "warning" : "info",
      ...(service === undefined ? {} : { service }),
      route: route.name,
      source: exchange.clientAddress,
      detail: { status, error: exchange.decision, method: exchange.req.method ?? "", requestId: exchange.requestId },
    });
  }

  /** A refused TLS handshake (`gateway.tls_refused`), from the peer `source`. */
  tlsRefused(source: string | undefined, reason: string): void {
    if (!this.#enabled) return;
    this.#publisher.publish({
      event: EVENT_NAMES.tlsRefused,
      severity: "warning",
      ...(source === undefined ? {} : { source }),
      detail: { reason: reason.slice(0, 256) },
    });
  }

  /** Publishes one `gateway.traffic` event per edge seen since the last call, and starts over. */
  flushTraffic(): void {
    const seconds = this.#intervalMs / 1000;
    for (const edge of this.#edges.values()) {
      this.#publisher.publish({
        event: EVENT_NAMES.traffic,
        severity: "info",
        ...(edge.service === undefined ? {} : { service: edge.service }),
        route: edge.route,
        detail: {
          seconds,
          requests: edge.requests,
          denied: edge.denied,
          limited: edge.limited,
          failed: edge.failed,
          pressure: Math.round(edge.pressure * 1000) / 1000,
        },
      });
    }
    this.#edges.clear();
  }

  /** Sends the last traffic counts and closes the stream connection. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.flushTraffic();
    await this.#publisher.close();
  }
}

function eventFor(exchange: Exchange): (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES] | undefined {
  switch (exchange.decision) {
    case "invalid_token":
      return EVENT_NAMES.unauthenticated;
    case "insufficient_scope":
      return EVENT_NAMES.forbidden;
    case "rate_limited":
      return EVENT_NAMES.rateLimited;
    case "bad_gateway":
    case "gateway_timeout":
      return EVENT_NAMES.upstreamFailed;
    default:
      return undefined;
  }
}
