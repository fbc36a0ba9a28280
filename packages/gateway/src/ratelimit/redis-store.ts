import { Redis } from "ioredis";
import type { Logger } from "@gatehouse/service-kit";
import { GCRA_LUA } from "./gcra.js";
import type { RateLimitDecision, RateLimitStore } from "./store.js";

type GcraReply = [number, number, number, number];
type GcraRedis = Redis & { gatehouseGcra(key: string, limit: number, windowMs: number, nowMs?: number): Promise<GcraReply> };

/** Options for {@link createRedisClient}. */
export interface RedisClientOptions {
  /** A call slower than this fails with "Command timed out" (ioredis `commandTimeout`). */
  readonly commandTimeoutMs: number;
  readonly logger?: Logger;
}

/**
 * The ioredis client the limiter uses, configured so a Redis outage costs milliseconds:
 * `commandTimeout` bounds every call, `enableOfflineQueue: false` fails calls at once while
 * disconnected instead of queueing them without bound, `maxRetriesPerRequest: 0` never replays,
 * and reconnection keeps trying in the background (every 50 ms growing to 1 s) so the limiter
 * recovers by itself. `enableAutoPipelining` batches concurrent decisions into one write.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const client = new Redis(url, {
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(50 * times, 1_000),
  });
  let lastLogged = 0;
  client.on("error", (error: Error) => {
    // Reconnects are frequent during an outage: log at most one line every 10 s.
    const now = Date.now();
    if (now - lastLogged > 10_000) {
      lastLogged = now;
      options.logger?.warn({ err: { message: error.message } }, "redis connection error");
    }
  });
  return client;
}

/** Waits until the client is connected, or `timeoutMs` passes; resolves whether it is ready. */
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

/**
 * The Redis rate-limit store: one `EVALSHA` of {@link GCRA_LUA} per decision (ioredis
 * `defineCommand` reloads the script by itself after a Redis restart). Limits are exact across
 * every gateway process that shares the Redis and the key prefix.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: GcraRedis;
  readonly #ownsClient: boolean;
  readonly #clock: (() => number) | undefined;

  /**
   * `clock` (epoch ms) replaces Redis `TIME` as "now": for tests that replay one decision sequence
   * against both stores. Leave it out in production, where every process must share Redis's clock.
   */
  constructor(client: Redis, options: { ownsClient?: boolean; clock?: () => number } = {}) {
    if (!("gatehouseGcra" in client)) client.defineCommand("gatehouseGcra", { numberOfKeys: 1, lua: GCRA_LUA });
    this.#client = client as GcraRedis;
    this.#ownsClient = options.ownsClient ?? false;
    this.#clock = options.clock;
  }

  async take(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const reply = this.#clock === undefined
      ? this.#client.gatehouseGcra(key, limit, windowMs)
      : this.#client.gatehouseGcra(key, limit, windowMs, this.#clock());
    const [allowed, remaining, resetMs, retryAfterMs] = await reply;
    return { allowed: allowed === 1, remaining, resetMs, retryAfterMs };
  }

  get connected(): boolean {
    return this.#client.status === "ready";
  }

  ready(timeoutMs: number): Promise<boolean> {
    return waitForRedis(this.#client, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#ownsClient) {
      try {
        await this.#client.quit();
      } catch {
        this.#client.disconnect();
      }
    }
  }
}
