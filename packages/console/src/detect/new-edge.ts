import { EVENT_NAMES } from "@gatehouse/service-kit";
import type { StreamEvent } from "../stream/parse-entry.js";
import { edgeName, type Detector, type Finding } from "./finding.js";

/** Edges remembered; beyond it the console stops learning new ones (and says so in the evidence). */
const MAX_EDGES = 100_000;

/** Gateway events that show a caller using a route. */
const EDGE_EVENTS = new Set<string>([EVENT_NAMES.traffic, EVENT_NAMES.forbidden, EVENT_NAMES.rateLimited, EVENT_NAMES.upstreamFailed]);

/**
 * `anomaly.new_edge`: a service reaches (or tries) a route it was never seen on, after the
 * learning period (`learningSeconds` from the first event the console saw). During learning every
 * edge is simply remembered: that is the baseline of who calls whom.
 */
export class NewEdgeDetector implements Detector {
  readonly #learningMs: number;
  readonly #edges = new Map<string, number>();
  readonly #routesByService = new Map<string, Set<string>>();
  #firstEventMs: number | undefined;

  constructor(options: { learningSeconds: number }) {
    this.#learningMs = options.learningSeconds * 1000;
  }

  /** When learning ends (epoch ms), once the first event was seen. */
  get learningEndsAt(): number | undefined {
    return this.#firstEventMs === undefined ? undefined : this.#firstEventMs + this.#learningMs;
  }

  observe({ id, event }: StreamEvent, timeMs: number): Finding | undefined {
    this.#firstEventMs ??= timeMs;
    if (event.component !== "gateway" || !EDGE_EVENTS.has(event.event) || event.service === undefined || event.route === undefined) return undefined;
    const key = `${event.service}\u0000${event.route}`;
    if (this.#edges.has(key) || this.#edges.size >= MAX_EDGES) return undefined;
    this.#edges.set(key, timeMs);
    const routes = this.#routesByService.get(event.service) ?? new Set<string>();
    const known = [...routes];
    routes.add(event.route);
    this.#routesByService.set(event.service, routes);
    const learningEnds = this.#firstEventMs + this.#learningMs;
    if (timeMs < learningEnds) return undefined;
    return {
      kind: "new_edge",
      subject: edgeName(event.service, event.route),
      severity: "warning",
      service: event.service,
      route: event.route,
      source: event.source,
      summary: `${event.service} called ${event.route} for the first time${known.length > 0 ? ` (it used to call ${known.join(", ")})` : ""}`,
      evidence: {
        firstEvent: event.event,
        status: event.detail["status"] ?? (event.event === EVENT_NAMES.traffic ? "forwarded" : undefined),
        learningEndedAt: new Date(learningEnds).toISOString(),
        knownRoutesOfService: known,
        eventIds: [id],
      },
    };
  }
}
