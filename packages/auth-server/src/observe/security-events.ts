import type { Redis } from "ioredis";
import { EVENT_NAMES, EventPublisher, type EventsConfig, type Logger } from "@gatehouse/service-kit";
import type { Registry } from "prom-client";

/** (service, audience) pairs remembered in process memory before they are forgotten and asked again. */
const MAX_REMEMBERED_AUDIENCES = 10_000;

/** Where the (service, audience) pairs every replica has issued live in Redis: one set. */
export const AUDIENCES_KEY = "seen-audiences";

/**
 * The auth server's security events, one method per kind (names in service-kit's `EVENT_NAMES`):
 * failed and throttled authentications, refused token requests, the first token a service gets
 * for an audience, admin changes and refused admin calls. Each is logged and queued for the
 * event stream; none ever waits for Redis. With the store's Redis, "first" holds across replicas
 * and restarts (one `SADD` per pair a process has not seen yet); without it, per process.
 */
export class AuthSecurityEvents {
  readonly #publisher: EventPublisher;
  readonly #audiences = new Set<string>();
  readonly #store: { readonly redis: Redis; readonly key: string } | undefined;

  constructor(
    config: EventsConfig,
    options: { redisUrl?: string | undefined; logger: Logger; registry: Registry; store?: { readonly redis: Redis; readonly keyPrefix: string } | undefined },
  ) {
    this.#store = options.store === undefined ? undefined : { redis: options.store.redis, key: `${options.store.keyPrefix}${AUDIENCES_KEY}` };
    this.#publisher = new EventPublisher({
      component: "auth-server",
      redisUrl: config.enabled ? options.redisUrl : undefined,
      stream: config.stream,
      maxLength: config.maxLength,
      queueLimit: config.queueLimit,
      logger: options.logger,
      registry: options.registry,
    });
  }

  /** A token request failed client authentication. */
  authFailed(service: string | undefined, source: string, reason: string | undefined): void {
    this.#publisher.publish({
      event: EVENT_NAMES.authFailed,
      severity: "warning",
      ...(service === undefined ? {} : { service }),
      source,
      detail: { error: "invalid_client", ...(reason === undefined ? {} : { reason: reason.slice(0, 256) }) },
    });
  }

  /** A token request was refused by the failed-authentication throttle. */
  throttled(service: string | undefined, source: string, retryAfterSeconds: number | undefined): void {
    this.#publisher.publish({
      event: EVENT_NAMES.authThrottled,
      severity: "warning",
      ...(service === undefined ? {} : { service }),
      source,
      detail: { status: 429, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) },
    });
  }

  /** A token request from an authenticated client was refused (`invalid_scope`, `invalid_target`, …). */
  tokenRefused(service: string | undefined, audience: string | undefined, source: string, error: string): void {
    this.#publisher.publish({
      event: EVENT_NAMES.tokenRefused,
      severity: "info",
      ...(service === undefined ? {} : { service }),
      ...(audience === undefined ? {} : { route: audience }),
      source,
      detail: { error },
    });
  }

  /**
   * A token was issued: the first one per (service, audience) is an `auth.new_audience` event.
   * Returns at once; the Redis check (when there is one) runs in the background, and when it fails
   * the pair counts as new for this process.
   */
  tokenIssued(service: string, audience: string | undefined, scopes: readonly string[], source: string): void {
    if (audience === undefined) return;
    const key = `${service} ${audience}`;
    if (this.#audiences.has(key)) return;
    if (this.#audiences.size >= MAX_REMEMBERED_AUDIENCES) this.#audiences.clear();
    this.#audiences.add(key);
    const publish = () =>
      this.#publisher.publish({ event: EVENT_NAMES.newAudience, severity: "info", service, route: audience, source, detail: { scopes: [...scopes] } });
    if (this.#store === undefined) {
      publish();
      return;
    }
    this.#store.redis.sadd(this.#store.key, key).then(
      (added) => {
        if (added === 1) publish();
      },
      () => publish(),
    );
  }

  /** A service certificate was issued. */
  certificateIssued(service: string | undefined, spiffeId: string, serial: string, notAfter: string, source: string): void {
    this.#publisher.publish({
      event: EVENT_NAMES.certificateIssued,
      severity: "info",
      ...(service === undefined ? {} : { service }),
      source,
      detail: { spiffeId: spiffeId.slice(0, 256), serial: serial.slice(0, 128), notAfter },
    });
  }

  /** A revocation was recorded (by an operator, or implied by a registry change). */
  revocation(kind: string, value: string, cause: string, actor: string | undefined): void {
    this.#publisher.publish({
      event: EVENT_NAMES.revocation,
      severity: "warning",
      ...(kind === "service" ? { service: value } : {}),
      detail: { kind, value: value.slice(0, 256), cause, actor: actor ?? "unknown" },
    });
  }

  /** The registry changed through the admin API. */
  adminChange(action: string, service: string, actor: string | undefined, source: string): void {
    this.#publisher.publish({
      event: EVENT_NAMES.adminChange,
      severity: action === "disabled" ? "warning" : "info",
      service,
      source,
      detail: { action, actor: actor ?? "unknown" },
    });
  }

  /** An admin API call was refused. */
  adminRefused(error: string, method: string, path: string, source: string): void {
    this.#publisher.publish({ event: EVENT_NAMES.adminRefused, severity: "warning", source, detail: { error, method, path: path.slice(0, 256) } });
  }

  /** Writes what is queued and closes the stream connection. */
  close(): Promise<void> {
    return this.#publisher.close();
  }
}
