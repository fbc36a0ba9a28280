import type { SecurityEvent } from "@gatehouse/service-kit";
import type { StreamEvent } from "../../src/index.js";

let sequence = 0;

/** A stream entry as a component would have written it, `atMs` being the event's time. */
export function entry(atMs: number, fields: Partial<SecurityEvent> & Pick<SecurityEvent, "event">): StreamEvent {
  sequence++;
  return {
    id: `${String(atMs)}-${String(sequence)}`,
    event: {
      time: new Date(atMs).toISOString(),
      severity: "info",
      component: fields.event.startsWith("auth.") || fields.event.startsWith("admin.") ? "auth-server" : "gateway",
      instance: "test:1",
      detail: {},
      ...fields,
    },
  };
}

/** One `gateway.traffic` summary for an edge. */
export function traffic(atMs: number, service: string | undefined, route: string, requests: number, extra: Record<string, number> = {}): StreamEvent {
  return entry(atMs, {
    event: "gateway.traffic",
    ...(service === undefined ? {} : { service }),
    route,
    detail: { seconds: 5, requests, denied: 0, limited: 0, failed: 0, pressure: 0, ...extra },
  });
}
