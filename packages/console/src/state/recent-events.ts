import type { SecurityEvent } from "@gatehouse/service-kit";
import type { StreamEvent } from "../stream/parse-entry.js";

/** A recent event as the API shows it: the event with its stream id. */
export type RecentEvent = SecurityEvent & { readonly id: string };

/** Filters of `GET /api/recent` (all optional, exact matches; `event` also matches a prefix ending in `.`). */
export interface EventFilter {
  readonly event?: string | undefined;
  readonly service?: string | undefined;
  readonly route?: string | undefined;
  readonly source?: string | undefined;
  readonly severity?: string | undefined;
  readonly component?: string | undefined;
}

/** The last N security events (traffic summaries excluded: they feed the graph), oldest dropped first. */
export class RecentEvents {
  readonly #capacity: number;
  readonly #events: RecentEvent[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(entry: StreamEvent): RecentEvent {
    const recent = { id: entry.id, ...entry.event };
    this.#events.push(recent);
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
    return recent;
  }

  /** Newest first, at most `limit`. */
  list(filter: EventFilter = {}, limit = 200): RecentEvent[] {
    const out: RecentEvent[] = [];
    for (let i = this.#events.length - 1; i >= 0 && out.length < limit; i--) {
      const event = this.#events[i];
      if (event !== undefined && matches(event, filter)) out.push(event);
    }
    return out;
  }
}

/** Whether an event passes a filter (shared by the JSON API and the SSE stream). */
export function matches(event: SecurityEvent, filter: EventFilter): boolean {
  if (filter.event !== undefined && event.event !== filter.event && !(filter.event.endsWith(".") && event.event.startsWith(filter.event))) return false;
  if (filter.service !== undefined && event.service !== filter.service) return false;
  if (filter.route !== undefined && event.route !== filter.route) return false;
  if (filter.source !== undefined && event.source !== filter.source) return false;
  if (filter.severity !== undefined && event.severity !== filter.severity) return false;
  if (filter.component !== undefined && event.component !== filter.component) return false;
  return true;
}
