import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The console's Prometheus metrics, in a registry of its own (`GET /metrics`):
 *
 * - `gatehouse_console_events_read_total`: valid events read from the stream
 * - `gatehouse_console_events_skipped_total{reason}`: entries skipped (`malformed`, `oversized`)
 * - `gatehouse_console_anomalies_total{kind}`: anomalies raised by this console
 * - `gatehouse_console_responses_total{action,outcome}`: `disable`/`revoke` responses carried out
 * - `gatehouse_console_redis_up`: 1 while the stream can be read
 * - `gatehouse_console_feed_clients`: open `/api/events` feeds
 * - `gatehouse_events_appended_total`, `gatehouse_events_dropped_total{reason}`: the console's own
 *   events (anomalies, responses) written back to the stream; plus Node's default metrics.
 */
export class ConsoleMetrics {
  readonly registry = new Registry();
  readonly eventsRead: Counter;
  readonly skipped: Counter<"reason">;
  readonly anomalies: Counter<"kind">;
  readonly responses: Counter<"action" | "outcome">;

  constructor(state: { redisUp: () => boolean; feedClients: () => number }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "gatehouse_console_" });
    this.eventsRead = new Counter({ name: "gatehouse_console_events_read_total", help: "Valid security events read from the stream.", registers });
    this.skipped = new Counter({
      name: "gatehouse_console_events_skipped_total",
      help: "Stream entries skipped, by reason (malformed: not the event schema; oversized: above reader.maxEventBytes).",
      labelNames: ["reason"],
      registers,
    });
    this.anomalies = new Counter({ name: "gatehouse_console_anomalies_total", help: "Anomalies raised by this console, by kind.", labelNames: ["kind"], registers });
    this.responses = new Counter({
      name: "gatehouse_console_responses_total",
      help: "Automatic responses (disable, revoke) by outcome (done, failed).",
      labelNames: ["action", "outcome"],
      registers,
    });
    new Gauge({
      name: "gatehouse_console_redis_up",
      help: "1 while the event stream can be read.",
      registers,
      collect() {
        this.set(state.redisUp() ? 1 : 0);
      },
    });
    new Gauge({
      name: "gatehouse_console_feed_clients",
      help: "Open live feeds (GET /api/events).",
      registers,
      collect() {
        this.set(state.feedClients());
      },
    });
  }
}
