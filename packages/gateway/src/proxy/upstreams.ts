import { Pool } from "undici";
import type { UpstreamTls } from "../tls/upstream-tls.js";

/** Settings of every upstream connection pool. */
export interface PoolSettings {
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly connections: number;
  readonly keepAliveTimeoutMs: number;
}

/** One upstream base URL with its keep-alive pool and passive health. */
export interface UpstreamTarget {
  /** `http://host:port`. */
  readonly origin: string;
  /** The pool's key: the origin, plus the pinned upstream identity when there is one. */
  readonly poolKey: string;
  /** Path prefix of the base URL without a trailing slash (`""` for none). */
  readonly basePath: string;
  readonly pool: Pool;
  /** Until when (epoch ms) the target is skipped after a connection failure. */
  unhealthyUntil: number;
}

/**
 * The keep-alive pools of every upstream origin, shared across route-table reloads so a reload
 * keeps warm connections; {@link release} closes pools no table uses any more.
 */
export class UpstreamPools {
  readonly #settings: PoolSettings;
  readonly #pools = new Map<string, Pool>();
  readonly #tls: UpstreamTls | undefined;

  constructor(settings: PoolSettings, tls?: UpstreamTls) {
    this.#settings = settings;
    this.#tls = tls;
  }

  /** The key of the pool for `origin` with the upstream identity `pin`. */
  static key(origin: string, pin: string | undefined): string {
    return pin === undefined ? origin : `${origin} ${pin}`;
  }

  /** The pool for `origin`; `https:` origins connect through the gateway's upstream TLS, checking `pin` when set. */
  pool(origin: string, pin?: string): Pool {
    const key = UpstreamPools.key(origin, pin);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const s = this.#settings;
      const tls = origin.startsWith("https:") ? this.#tls : undefined;
      pool = new Pool(origin, {
        connections: s.connections,
        connect: tls === undefined ? { timeout: s.connectTimeoutMs } : tls.connector(pin, s.connectTimeoutMs),
        headersTimeout: s.responseTimeoutMs,
        bodyTimeout: s.bodyTimeoutMs,
        keepAliveTimeout: s.keepAliveTimeoutMs,
        pipelining: 1,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes (gracefully) every pool whose key ({@link UpstreamTarget.poolKey}) is not in `inUse`. */
  async release(inUse: ReadonlySet<string>): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [origin, pool] of this.#pools) {
      if (!inUse.has(origin)) {
        this.#pools.delete(origin);
        closing.push(pool.close());
      }
    }
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    await this.release(new Set());
  }
}

/**
 * A route's upstream targets, chosen round-robin. Passive health: a target whose connection
 * failed is skipped for `cooldownMs`; when every target is cooling down, the next one is tried
 * anyway (better a likely 502 than a certain one).
 */
export class UpstreamGroup {
  readonly targets: readonly UpstreamTarget[];
  readonly #cooldownMs: number;
  #next = 0;

  constructor(urls: readonly string[], pools: UpstreamPools, cooldownMs: number, pin?: string) {
    this.targets = urls.map((value) => {
      const url = new URL(value);
      const poolKey = UpstreamPools.key(url.origin, pin);
      return { origin: url.origin, poolKey, basePath: url.pathname.replace(/\/+$/, ""), pool: pools.pool(url.origin, pin), unhealthyUntil: 0 };
    });
    this.#cooldownMs = cooldownMs;
  }

  /** The next target to try, skipping `exclude` (already tried for this request) when possible. */
  pick(exclude?: UpstreamTarget): UpstreamTarget {
    const targets = this.targets;
    const n = targets.length;
    if (n === 1) return targets[0] as UpstreamTarget;
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const target = targets[(this.#next + i) % n] as UpstreamTarget;
      if (target !== exclude && target.unhealthyUntil <= now) {
        this.#next = (this.#next + i + 1) % n;
        return target;
      }
    }
    const target = targets[this.#next % n] as UpstreamTarget;
    this.#next = (this.#next + 1) % n;
    return target;
  }

  markFailed(target: UpstreamTarget): void {
    target.unhealthyUntil = Date.now() + this.#cooldownMs;
  }
}
