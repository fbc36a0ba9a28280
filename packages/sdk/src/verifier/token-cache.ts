/**
 * The bounded LRU of verified tokens: a token seen before skips the signature check until it expires. The size
 * limit holds under any flood of distinct tokens (least recently used entries are evicted), and every hit checks
 * the entry's deadline again, so an expired token is never answered from memory.
 *
 * @module
 */
import { LRUCache } from "lru-cache";
import type { VerifiedToken } from "./types.js";

interface Entry {
  readonly token: VerifiedToken;
  /** Epoch ms from which the token is no longer valid (exp, or the maximum age, with the clock tolerance). */
  readonly notAfterMs: number;
}

/** Verified tokens by their compact form, at most `maxEntries` (none when 0), each with its deadline. */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, Entry> | undefined;

  constructor(maxEntries: number) {
    this.lru = maxEntries > 0 ? new LRUCache<string, Entry>({ max: maxEntries }) : undefined;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  /**
   * The cached token, `undefined` when absent, or `"expired"` when it was cached and its deadline has passed (the
   * entry is dropped then).
   */
  get(jwt: string, nowMs: number): VerifiedToken | "expired" | undefined {
    const entry = this.lru?.get(jwt);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.notAfterMs) {
      this.lru?.delete(jwt);
      return "expired";
    }
    return entry.token;
  }

  set(jwt: string, token: VerifiedToken, notAfterMs: number): void {
    this.lru?.set(jwt, { token, notAfterMs });
  }

  /** Drops every entry whose token `covered` says; returns how many. */
  deleteWhere(covered: (token: VerifiedToken) => boolean): number {
    let dropped = 0;
    this.lru?.forEach((entry, key) => {
      if (covered(entry.token)) {
        this.lru?.delete(key);
        dropped += 1;
      }
    });
    return dropped;
  }

  clear(): void {
    this.lru?.clear();
  }
}
