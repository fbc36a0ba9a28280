import type { Redis } from "ioredis";
import { waitForRedis } from "@gatehouse/service-kit";
import { GCRA_LUA } from "./gcra.js";
import type { RateLimitDecision, RateLimitStore } from "./store.js";

type GcraReply = [number, number, number, number];
type GcraRedis = Redis & { gatehouseGcra(key: string, limit: number, windowMs: number, nowMs?: number): Promise<GcraReply> };

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
