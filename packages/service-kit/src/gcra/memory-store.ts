import { LRUCache } from "lru-cache";
import { gcraStep, KEY_GRACE_MS, type GcraState } from "./gcra.js";
import type { RateLimitDecision, RateLimitStore } from "./store.js";

/** Callers a memory store tracks unless told otherwise (the gateway's `rateLimiting.localMaxKeys`). */
export const DEFAULT_MEMORY_MAX_KEYS = 100_000;

/**
 * GCRA in process memory: the store of a service without Redis (dev mode) and of the gateway's `local` fallback.
 * Bounded: at most `maxKeys` callers are tracked (least recently used dropped first), and a
 * key is forgotten once its quota is whole again. Exact within one process only.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #states: LRUCache<string, GcraState>;
  readonly #clock: () => number;

  constructor(options: { maxKeys?: number; clock?: () => number } = {}) {
    this.#states = new LRUCache<string, GcraState>({ max: options.maxKeys ?? DEFAULT_MEMORY_MAX_KEYS, ttlAutopurge: false });
    this.#clock = options.clock ?? (() => performance.timeOrigin + performance.now());
  }

  /** The synchronous decision; {@link take} wraps it for the store interface. */
  takeNow(key: string, limit: number, windowMs: number): RateLimitDecision {
    const now = this.#clock();
    const { decision, state } = gcraStep(this.#states.get(key), now, limit, windowMs);
    if (state !== undefined) this.#states.set(key, state, { ttl: decision.resetMs + KEY_GRACE_MS });
    return decision;
  }

  take(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    return Promise.resolve(this.takeNow(key, limit, windowMs));
  }

  readonly connected = true;

  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.#states.clear();
    return Promise.resolve();
  }
}
