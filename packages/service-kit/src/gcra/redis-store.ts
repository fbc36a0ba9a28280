import type { Redis } from "ioredis";
import { waitForRedis } from "../redis/create-redis-client.js";
import { GCRA_BATCH_LUA } from "./gcra.js";
import type { RateLimitDecision, RateLimitStore } from "./store.js";

type GcraRedis = Redis & { gatehouseGcraBatch(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number[]> };

/** Decisions sent in one script call at most; a larger batch is split. */
export const MAX_BATCH = 256;

/** One decision waiting for its batch. */
interface Waiting {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Epoch ms from the store's `clock`, or "" for Redis `TIME`. */
  readonly now: number | "";
  readonly resolve: (decision: RateLimitDecision) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The Redis rate-limit store. The decisions asked for while the event loop handles one round of I/O (every request
 * whose headers arrived in it) are sent together, once that round is over (`setImmediate`), as one `EVALSHA` of
 * {@link GCRA_BATCH_LUA}: one command, one reply and one script call for the batch instead of one per request, which
 * is most of what a decision costs the caller's thread and Redis. Each decision stays atomic and in arrival order, so
 * limits are exact across every process that shares the Redis and the key prefix (every gateway, every auth-server
 * replica). A failed call fails every decision of its batch (the caller applies its failure policy to each). ioredis
 * `defineCommand` reloads the script by itself after a Redis restart.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: GcraRedis;
  readonly #ownsClient: boolean;
  readonly #clock: (() => number) | undefined;
  #waiting: Waiting[] = [];
  #scheduled = false;

  /**
   * `clock` (epoch ms) replaces Redis `TIME` as "now": for tests that replay one decision sequence
   * against both stores. Leave it out in production, where every process must share Redis's clock.
   */
  constructor(client: Redis, options: { ownsClient?: boolean; clock?: () => number } = {}) {
    if (!("gatehouseGcraBatch" in client)) client.defineCommand("gatehouseGcraBatch", { lua: GCRA_BATCH_LUA });
    this.#client = client as GcraRedis;
    this.#ownsClient = options.ownsClient ?? false;
    this.#clock = options.clock;
  }

  take(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const now = this.#clock === undefined ? "" : this.#clock();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ key, limit, windowMs, now, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#send);
      }
    });
  }

  readonly #send = (): void => {
    this.#scheduled = false;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (let from = 0; from < waiting.length; from += MAX_BATCH) this.#decide(waiting.slice(from, from + MAX_BATCH));
  };

  #decide(batch: readonly Waiting[]): void {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const { key, limit, windowMs, now } of batch) {
      keys.push(key);
      args.push(limit, windowMs, now);
    }
    this.#client.gatehouseGcraBatch(batch.length, ...keys, ...args).then(
      (reply) => {
        batch.forEach((waiting, i) => {
          const at = 4 * i;
          waiting.resolve({ allowed: reply[at] === 1, remaining: reply[at + 1] ?? 0, resetMs: reply[at + 2] ?? 0, retryAfterMs: reply[at + 3] ?? 0 });
        });
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
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
