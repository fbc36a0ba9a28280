import { Pool } from "undici";

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

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      const s = this.#settings;
      pool = new Pool(origin, {
        connections: s.connections,
        connect: { timeout: s.connectTimeoutMs },
        headersTimeout: s.responseTimeoutMs,
        bodyTimeout: s.bodyTimeoutMs,
        keepAliveTimeout: s.keepAliveTimeoutMs,
        pipelining: 1,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes (gracefully) every pool whose origin is not in `inUse`. */
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

  constructor(urls: readonly string[], pools: UpstreamPools, cooldownMs: number) {
    this.targets = urls.map((value) => {
      const url = new URL(value);
      return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ""), pool: pools.pool(url.origin), unhealthyUntil: 0 };
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
