import { EVENT_NAMES, type SecurityEvent } from "@gatehouse/service-kit";

/** The window the graph's figures cover. */
export const GRAPH_WINDOW_SECONDS = 60;
/** Edges and instances not heard of for this long leave the graph. */
const FORGET_AFTER_MS = 24 * 3600 * 1000;

/** The caller shown for requests without a (valid) token. */
export const NO_TOKEN = "(no token)";

interface Sample {
  readonly timeMs: number;
  readonly requests: number;
  readonly denied: number;
  readonly limited: number;
  readonly failed: number;
  readonly pressure: number;
}

interface EdgeState {
  readonly from: string;
  readonly to: string;
  readonly firstSeenMs: number;
  lastSeenMs: number;
  samples: Sample[];
  totalRequests: number;
}

/** One edge of `GET /api/graph`: a caller and a route with the last minute's figures. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Requests per second over the window. */
  readonly rate: number;
  readonly requests: number;
  /** 401 and 403 answers in the window. */
  readonly denials: number;
  /** 429 answers in the window. */
  readonly limited: number;
  /** Upstream failures in the window. */
  readonly failed: number;
  /** Highest share of the route's rate limit used in the window (0..1). */
  readonly limitPressure: number;
  readonly requestsTotal: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

/** A caller (`service`, or `anonymous` for requests without a token) or a `route`; names are unique per kind. */
export interface GraphNode {
  readonly kind: "service" | "route" | "anonymous";
  readonly name: string;
}

export interface GraphInstance {
  readonly component: string;
  readonly instance: string;
  readonly lastSeen: string;
  readonly events: number;
}

/** What `GET /api/graph` answers. */
export interface GraphSnapshot {
  readonly generatedAt: string;
  readonly windowSeconds: number;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly instances: readonly GraphInstance[];
}

/**
 * Who calls whom: edges (caller → route) built from the gateways' `gateway.traffic` counts, which
 * every replica sends for its own requests (the console adds them up), and the instances that
 * sent any event.
 */
export class CallGraph {
  readonly #edges = new Map<string, EdgeState>();
  readonly #instances = new Map<string, { component: string; instance: string; lastSeenMs: number; events: number }>();

  observe(event: SecurityEvent, timeMs: number): void {
    const key = `${event.component}\u0000${event.instance}`;
    const instance = this.#instances.get(key) ?? { component: event.component, instance: event.instance, lastSeenMs: timeMs, events: 0 };
    instance.lastSeenMs = Math.max(instance.lastSeenMs, timeMs);
    instance.events++;
    this.#instances.set(key, instance);
    if (event.event !== EVENT_NAMES.traffic || event.route === undefined) return;
    const from = event.service ?? NO_TOKEN;
    const edgeKey = `${from}\u0000${event.route}`;
    let edge = this.#edges.get(edgeKey);
    if (edge === undefined) {
      if (this.#edges.size >= 10_000) return;
      edge = { from, to: event.route, firstSeenMs: timeMs, lastSeenMs: timeMs, samples: [], totalRequests: 0 };
      this.#edges.set(edgeKey, edge);
    }
    const d = event.detail;
    const sample: Sample = {
      timeMs,
      requests: count(d["requests"]),
      denied: count(d["denied"]),
      limited: count(d["limited"]),
      failed: count(d["failed"]),
      pressure: Math.min(1, Math.max(0, typeof d["pressure"] === "number" ? d["pressure"] : 0)),
    };
    edge.lastSeenMs = Math.max(edge.lastSeenMs, timeMs);
    edge.totalRequests += sample.requests;
    edge.samples.push(sample);
    if (edge.samples.length > 2_000) edge.samples.splice(0, edge.samples.length - 2_000);
  }

  /** The graph as of `nowMs`. */
  snapshot(nowMs: number): GraphSnapshot {
    const since = nowMs - GRAPH_WINDOW_SECONDS * 1000;
    const edges: GraphEdge[] = [];
    const nodes = new Map<string, GraphNode>();
    for (const [key, edge] of this.#edges) {
      if (edge.lastSeenMs < nowMs - FORGET_AFTER_MS) {
        this.#edges.delete(key);
        continue;
      }
      edge.samples = edge.samples.filter((s) => s.timeMs > since);
      let requests = 0;
      let denials = 0;
      let limited = 0;
      let failed = 0;
      let pressure = 0;
      for (const s of edge.samples) {
        requests += s.requests;
        denials += s.denied;
        limited += s.limited;
        failed += s.failed;
        pressure = Math.max(pressure, s.pressure);
      }
      edges.push({
        from: edge.from,
        to: edge.to,
        rate: Math.round((requests / GRAPH_WINDOW_SECONDS) * 100) / 100,
        requests,
        denials,
        limited,
        failed,
        limitPressure: pressure,
        requestsTotal: edge.totalRequests,
        firstSeen: new Date(edge.firstSeenMs).toISOString(),
        lastSeen: new Date(edge.lastSeenMs).toISOString(),
      });
      nodes.set(`caller:${edge.from}`, { kind: edge.from === NO_TOKEN ? "anonymous" : "service", name: edge.from });
      nodes.set(`route:${edge.to}`, { kind: "route", name: edge.to });
    }
    edges.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    const instances: GraphInstance[] = [];
    for (const [key, i] of this.#instances) {
      if (i.lastSeenMs < nowMs - FORGET_AFTER_MS) {
        this.#instances.delete(key);
        continue;
      }
      instances.push({ component: i.component, instance: i.instance, lastSeen: new Date(i.lastSeenMs).toISOString(), events: i.events });
    }
    instances.sort((a, b) => a.component.localeCompare(b.component) || a.instance.localeCompare(b.instance));
    return {
      generatedAt: new Date(nowMs).toISOString(),
      windowSeconds: GRAPH_WINDOW_SECONDS,
      nodes: [...nodes.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
      edges,
      instances,
    };
  }
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
