/**
 * Tokens per (resource, sorted scopes): handed out until shortly before expiry, refreshed in the background ahead
 * of it, and fetched once for any number of concurrent callers (single-flight). A bounded LRU of keys.
 *
 * @module
 */
import { LRUCache } from "lru-cache";
import type { IssuedToken } from "./token-endpoint.js";

/** Timing of the cache, in ms. */
export interface TokenCacheTiming {
  readonly refreshAheadMs: number;
  readonly minValidityMs: number;
}

interface CachedToken {
  readonly value: string;
  /** From here on, a background refresh is started. */
  refreshAtMs: number;
  /** From here on, the token is not handed out any more. */
  readonly unusableAtMs: number;
}

interface Slot {
  token: CachedToken | undefined;
  pending: Promise<CachedToken> | undefined;
}

/** After a failed background refresh, the next one waits this long (bounded by the token's usable time). */
const REFRESH_RETRY_MS = 1000;

/** Tokens per (resource, scopes) key, with single-flight fetches and refresh-ahead; `hits` and `refreshesAhead` for stats. */
export class TokenCache {
  hits = 0;
  refreshesAhead = 0;
  private readonly slots: LRUCache<string, Slot>;

  constructor(
    maxKeys: number,
    private readonly timing: TokenCacheTiming,
  ) {
    this.slots = new LRUCache<string, Slot>({ max: Math.max(1, maxKeys) });
  }

  /** The cache key: the resource and the sorted, de-duplicated scopes. */
  static key(resource: string, scopes: readonly string[]): string {
    return `${resource} ${[...new Set(scopes)].sort().join(" ")}`;
  }

  /**
   * A usable token for `key`: the cached one (starting a background refresh when due), else the result of the one
   * fetch in flight for the key, else a new fetch.
   */
  async get(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = { token: undefined, pending: undefined };
      this.slots.set(key, slot);
    }
    const now = Date.now();
    const token = slot.token;
    if (token !== undefined && now < token.unusableAtMs) {
      this.hits += 1;
      if (now >= token.refreshAtMs && slot.pending === undefined) {
        this.refreshesAhead += 1;
        this.start(slot, fetch).catch(() => {
          // Keep the current token; try again a little later, while it lasts.
          token.refreshAtMs = Math.min(Date.now() + REFRESH_RETRY_MS, token.unusableAtMs);
        });
      }
      return token.value;
    }
    return (await (slot.pending ?? this.start(slot, fetch))).value;
  }

  /** Drops the token of `key` if it is still `value` (a server refused it), so the next `get` fetches a new one. */
  invalidate(key: string, value: string): void {
    const slot = this.slots.get(key);
    if (slot?.token?.value === value) slot.token = undefined;
  }

  clear(): void {
    this.slots.clear();
  }

  private start(slot: Slot, fetch: () => Promise<IssuedToken>): Promise<CachedToken> {
    const pending = fetch().then(
      (issued) => {
        const token = this.toCached(issued);
        slot.token = token;
        slot.pending = undefined;
        return token;
      },
      (error: unknown) => {
        slot.pending = undefined;
        throw error;
      },
    );
    slot.pending = pending;
    return pending;
  }

  private toCached(issued: IssuedToken): CachedToken {
    const receivedAt = Date.now();
    const expiresAt = receivedAt + issued.lifetimeMs;
    const minValidity = Math.min(this.timing.minValidityMs, issued.lifetimeMs / 4);
    const refreshAhead = Math.min(this.timing.refreshAheadMs, issued.lifetimeMs / 2);
    return { value: issued.accessToken, refreshAtMs: expiresAt - refreshAhead, unusableAtMs: expiresAt - minValidity };
  }
}
