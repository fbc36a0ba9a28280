import { errors } from "oidc-provider";
import type { Redis } from "ioredis";
import type { Logger } from "@gatehouse/service-kit";

/** The 429 a client over its issuance ceiling gets: `temporarily_unavailable` with the seconds to wait. */
export class IssuanceLimitedError extends errors.OIDCProviderError {
  /** This package's stable code for it (the README's Errors table). */
  readonly code = "issuance_limited";
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(429, "temporarily_unavailable", { detail: "token issuance limit reached for this client and resource" });
    this.expose = true;
    this.error_description = "too many tokens issued to this client for this resource; reuse the last one or retry later";
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** One decision: allowed, or the milliseconds until the next token may be issued. */
export interface IssuanceDecision {
  readonly allowed: boolean;
  readonly retryAfterMs: number;
}

/**
 * GCRA state per key (the theoretical arrival time), decided in one step. The Redis store runs one
 * Lua script on Redis' clock, so every replica sharing the Redis shares each ceiling exactly.
 */
export interface IssuanceStore {
  readonly kind: "memory" | "redis";
  take(key: string, intervalMs: number, burst: number): Promise<IssuanceDecision>;
}

// GCRA (the generic cell rate algorithm): a request is allowed when the theoretical arrival time
// is at most `interval * (burst - 1)` ahead of now; each allowed request moves it on by `interval`.
const TAKE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowAt = tat - interval * (tonumber(ARGV[2]) - 1)
if now < allowAt then return {0, math.ceil(allowAt - now)} end
tat = tat + interval
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.max(1, math.ceil(tat - now)))
return {1, 0}
`;

/** Issuance ceilings in Redis, shared by every worker and replica. */
export class RedisIssuanceStore implements IssuanceStore {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}issue:`;
    redis.defineCommand("gatehouseIssueTake", { numberOfKeys: 1, lua: TAKE });
  }

  async take(key: string, intervalMs: number, burst: number): Promise<IssuanceDecision> {
    const command = (this.#redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number]>>)["gatehouseIssueTake"];
    if (command === undefined) throw new Error("Redis script gatehouseIssueTake is not defined");
    const [allowed, retryAfterMs] = await command.call(this.#redis, this.#prefix + key, intervalMs, burst);
    return { allowed: allowed === 1, retryAfterMs };
  }
}

/** Issuance ceilings in this process, bounded to `maxKeys` keys (the oldest are dropped). */
export class MemoryIssuanceStore implements IssuanceStore {
  readonly kind = "memory";
  readonly #tat = new Map<string, number>();
  readonly #maxKeys: number;

  constructor(maxKeys = 50_000) {
    this.#maxKeys = maxKeys;
  }

  take(key: string, intervalMs: number, burst: number): Promise<IssuanceDecision> {
    const now = Date.now();
    const tat = Math.max(this.#tat.get(key) ?? 0, now);
    const allowAt = tat - intervalMs * (burst - 1);
    if (now < allowAt) return Promise.resolve({ allowed: false, retryAfterMs: Math.ceil(allowAt - now) });
    this.#tat.delete(key);
    if (this.#tat.size >= this.#maxKeys) {
      const oldest = this.#tat.keys().next().value;
      if (oldest !== undefined) this.#tat.delete(oldest);
    }
    this.#tat.set(key, tat + intervalMs);
    return Promise.resolve({ allowed: true, retryAfterMs: 0 });
  }
}

/**
 * The per-client token issuance ceiling: at most `perSecond` tokens a second per (client,
 * resource), with bursts of `burst`. A legitimate service needs one token per audience every few
 * minutes; a client minting more floods every verifier's cache downstream. Checked right before a
 * token is signed (after authentication, scope and resource checks), so only issuance counts.
 * When the store fails, the token is issued (availability beats the ceiling) and the failure logged.
 */
export class IssuanceLimit {
  readonly #store: IssuanceStore;
  readonly #intervalMs: number;
  readonly #burst: number;
  readonly #logger: Logger;

  constructor(store: IssuanceStore, perSecond: number, burst: number, logger: Logger) {
    this.#store = store;
    this.#intervalMs = 1000 / perSecond;
    this.#burst = burst;
    this.#logger = logger;
  }

  /** Throws {@link IssuanceLimitedError} when `client` is over its ceiling for `resource`. */
  async take(client: string, resource: string): Promise<void> {
    let decision: IssuanceDecision;
    try {
      decision = await this.#store.take(`${client}|${resource}`, this.#intervalMs, this.#burst);
    } catch (error) {
      this.#logger.error({ err: error }, "issuance limit store unavailable; not limiting");
      return;
    }
    if (!decision.allowed) throw new IssuanceLimitedError(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
}
