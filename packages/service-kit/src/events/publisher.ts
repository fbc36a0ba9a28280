import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { Counter, type Registry } from "prom-client";
import type { Logger } from "../logger.js";
import { createRedisClient } from "../redis/create-redis-client.js";
import { DEFAULT_EVENT_STREAM, MAX_FIELD_LENGTH, type SecurityEvent, type Severity } from "./schema.js";

/** The stream entry's only field: the event as JSON. */
export const EVENT_FIELD = "e";

/** What a component passes to {@link EventPublisher.publish}; the publisher adds the rest. */
export type EventInput = Omit<SecurityEvent, "time" | "component" | "instance"> & { readonly time?: string };

/** Why an event never reached the stream. */
export type DropReason = "queue_full" | "redis_unavailable" | "write_failed";

export interface EventPublisherOptions {
  readonly component: SecurityEvent["component"];
  /** Redis to append to; absent → events are only logged (and counted as `redis_unavailable`). */
  readonly redisUrl?: string | undefined;
  /** Stream key (default `gatehouse:events`). */
  readonly stream?: string | undefined;
  /** Approximate cap of the stream (`XADD … MAXLEN ~ N`), default 100 000. */
  readonly maxLength?: number | undefined;
  /** Events held in memory while a write is under way; beyond it new events are dropped (default 10 000). */
  readonly queueLimit?: number | undefined;
  /** Events per pipelined write (default 500). */
  readonly batchSize?: number | undefined;
  /** How long an event may wait for companions before the write (default 20 ms). */
  readonly flushDelayMs?: number | undefined;
  /** Where events are logged (warning → warn, critical → error, info → debug); absent → not logged. */
  readonly logger?: Logger | undefined;
  /** Registers `gatehouse_events_appended_total` and `gatehouse_events_dropped_total{reason}` here. */
  readonly registry?: Registry | undefined;
  /** Overrides `host:pid` as the instance name. */
  readonly instance?: string | undefined;
}

/**
 * Appends security events to a capped Redis stream and logs them, without ever slowing or
 * failing the caller: {@link publish} only pushes onto a bounded in-memory queue; a timer writes
 * the queue in pipelined batches of `XADD stream MAXLEN ~ N * e <json>`. When Redis is away (the
 * client never queues offline), the write fails or the queue is full, the events are dropped and
 * counted by reason: the request path is never held up by security telemetry.
 */
export class EventPublisher {
  readonly #component: SecurityEvent["component"];
  readonly #instance: string;
  readonly #stream: string;
  readonly #maxLength: number;
  readonly #queueLimit: number;
  readonly #batchSize: number;
  readonly #flushDelayMs: number;
  readonly #logger: Logger | undefined;
  readonly #redis: Redis | undefined;
  readonly #queue: SecurityEvent[] = [];
  readonly #appended: Counter | undefined;
  readonly #dropped: Counter<"reason"> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #closed = false;
  readonly stats = { appended: 0, dropped: 0 };

  constructor(options: EventPublisherOptions) {
    this.#component = options.component;
    this.#instance = clip(options.instance ?? `${hostname()}:${String(process.pid)}`);
    this.#stream = options.stream ?? DEFAULT_EVENT_STREAM;
    this.#maxLength = options.maxLength ?? 100_000;
    this.#queueLimit = options.queueLimit ?? 10_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#flushDelayMs = options.flushDelayMs ?? 20;
    this.#logger = options.logger;
    // The shared client (Sentinel, ACL user, password file; no offline queue, no replays, bounded
    // calls): while Redis is away a write fails at once and its events count as dropped.
    this.#redis =
      options.redisUrl === undefined ? undefined : createRedisClient(options.redisUrl, { name: "events", ...(options.logger === undefined ? {} : { logger: options.logger }) });
    if (options.registry !== undefined) {
      const registers = [options.registry];
      this.#appended = new Counter({ name: "gatehouse_events_appended_total", help: "Security events appended to the event stream.", registers });
      this.#dropped = new Counter({
        name: "gatehouse_events_dropped_total",
        help: "Security events not appended, by reason (queue_full, redis_unavailable, write_failed); each was still logged.",
        labelNames: ["reason"],
        registers,
      });
    }
  }

  /** Whether the Redis connection is up (events published now will be appended). */
  get connected(): boolean {
    return this.#redis?.status === "ready";
  }

  /** Queues one event (never throws, never waits). */
  publish(input: EventInput): void {
    const event: SecurityEvent = {
      time: input.time ?? new Date().toISOString(),
      event: input.event,
      severity: input.severity,
      component: this.#component,
      instance: this.#instance,
      ...(input.service === undefined ? {} : { service: clip(input.service) }),
      ...(input.route === undefined ? {} : { route: clip(input.route) }),
      ...(input.source === undefined ? {} : { source: clip(input.source) }),
      detail: input.detail,
    };
    this.#log(event);
    if (this.#closed) return;
    if (this.#queue.length >= this.#queueLimit) {
      this.#drop("queue_full", 1);
      return;
    }
    this.#queue.push(event);
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#flushDelayMs).unref();
  }

  /** Writes everything queued now; resolves when done (dropped events included). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#queue.length === 0) return;
    this.#writing = this.#write().finally(() => {
      this.#writing = undefined;
    });
    await this.#writing;
    if (this.#queue.length > 0) await this.flush();
  }

  /** Writes what is queued, then closes the Redis connection. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
    if (this.#redis !== undefined) await this.#redis.quit().catch(() => this.#redis?.disconnect());
  }

  async #write(): Promise<void> {
    const batch = this.#queue.splice(0, this.#batchSize);
    const redis = this.#redis;
    if (redis?.status !== "ready") {
      this.#drop("redis_unavailable", batch.length);
      return;
    }
    const pipeline = redis.pipeline();
    for (const event of batch) pipeline.xadd(this.#stream, "MAXLEN", "~", this.#maxLength, "*", EVENT_FIELD, JSON.stringify(event));
    try {
      const results = (await pipeline.exec()) ?? [];
      const ok = results.filter(([error]) => error === null).length;
      this.stats.appended += ok;
      this.#appended?.inc(ok);
      if (ok < batch.length) this.#drop("write_failed", batch.length - ok);
    } catch {
      this.#drop("write_failed", batch.length);
    }
  }

  #drop(reason: DropReason, count: number): void {
    this.stats.dropped += count;
    this.#dropped?.inc({ reason }, count);
  }

  #log(event: SecurityEvent): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    const line = { securityEvent: event.event, severity: event.severity, service: event.service, route: event.route, source: event.source, detail: event.detail };
    LOG_LEVEL[event.severity](logger, line, event.event);
  }
}

const LOG_LEVEL: Record<Severity, (logger: Logger, line: object, message: string) => void> = {
  info: (logger, line, message) => logger.debug(line, message),
  warning: (logger, line, message) => logger.warn(line, message),
  critical: (logger, line, message) => logger.error(line, message),
};

function clip(value: string): string {
  return value.length > MAX_FIELD_LENGTH ? value.slice(0, MAX_FIELD_LENGTH) : value;
}
