import { Redis } from "ioredis";
import type { Logger } from "pino";
import { connectionOptions, describeRedisTarget, parseRedisUrl, type RedisTarget } from "./redis-url.js";

/** How long one Redis call may take by default before it fails with "Command timed out". */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** How long opening a connection (or asking a sentinel) may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** Names the connection in log lines (`rate-limits`, `registry`). */
  readonly name: string;
  readonly logger?: Logger;
  /** A call slower than this fails (ioredis `commandTimeout`); default {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS}. */
  readonly commandTimeoutMs?: number;
  /** Connect only on `client.connect()` (to fail a start on an unreachable Redis); default false. */
  readonly lazyConnect?: boolean;
}

/**
 * The one Redis client of every Gatehouse service: `REDIS_URL` as {@link parseRedisUrl} reads it
 * (one server, or a master found through Redis Sentinel), credentials from the URL, `REDIS_USERNAME`
 * and `REDIS_PASSWORD_FILE`, and the behaviour chosen once for both services:
 *
 * - `enableOfflineQueue: false`: while disconnected a call fails at once, so each service's
 *   documented failure mode applies (gateway: local limits; auth server: 503) instead of calls
 *   piling up in memory and answering late.
 * - `maxRetriesPerRequest: 0`: a call in flight when the connection drops fails and is never sent
 *   twice. The services' writes (a rate-limit decision, a failure count, an assertion's `SET NX`)
 *   are not idempotent: a replayed `SET NX` would call a fresh assertion a replay.
 * - `commandTimeout`: every call is bounded (default 1 s; the gateway's rate limits use their own,
 *   shorter, setting), `connectTimeout` 2 s, so a black-holed Redis costs a bounded wait.
 * - `retryStrategy`: reconnect forever in the background, 50 ms growing to 1 s, so a service recovers
 *   by itself when Redis returns.
 * - `reconnectOnError`: a `READONLY` answer (this connection reached a master that Sentinel has
 *   since demoted) reconnects, which asks the sentinels for the current master.
 * - `enableAutoPipelining`: concurrent calls share one write.
 *
 * An outage is logged once when it starts and once when it ends, not once per retry.
 */
export function createRedisClient(target: RedisTarget | string, options: RedisClientOptions): Redis {
  const where = typeof target === "string" ? parseRedisUrl(target) : target;
  const client = new Redis({
    ...connectionOptions(where),
    lazyConnect: options.lazyConnect ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    sentinelRetryStrategy: (times) => Math.min(50 * times, 1_000),
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 1 : false),
    enableAutoPipelining: true,
  });
  watchOutages(client, describeRedisTarget(where), options);
  return client;
}

/** Waits until the client is ready, or `timeoutMs` passes; resolves whether it is ready. */
export function waitForRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on("ready", onReady);
  });
}

function watchOutages(client: Redis, where: string, options: RedisClientOptions): void {
  let failing = false;
  client.on("error", (error: Error) => {
    if (failing) return;
    failing = true;
    options.logger?.error({ redis: options.name, target: where, err: { message: error.message } }, "Redis unavailable; retrying in the background");
  });
  client.on("ready", () => {
    if (!failing) return;
    failing = false;
    options.logger?.info({ redis: options.name, target: where }, "Redis reachable again");
  });
}
