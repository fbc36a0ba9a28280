/**
 * The bounded LRU of verified tokens: a token seen before skips the signature check until it expires. Both limits,
 * entries and (estimated) bytes, hold under any flood of distinct tokens (least recently used entries are evicted),
 * and every hit checks the entry's deadline again, so an expired token is never answered from memory.
 *
 * @module
 */
import { LRUCache } from "lru-cache";
import { VERIFIER_DEFAULTS } from "./defaults.js";
import type { VerifiedToken } from "./types.js";

interface Entry {
  readonly token: VerifiedToken;
  /** Epoch ms from which the token is no longer valid (exp, or the maximum age, with the clock tolerance). */
  readonly notAfterMs: number;
}

/** Default byte bound of the cache: 32 MiB, so 10 000 tokens of up to about 1 400 characters fit. */
export const DEFAULT_CACHE_MAX_BYTES = VERIFIER_DEFAULTS.cacheMaxBytes;

/**
 * Heap bytes one entry costs, estimated from the compact token: the key string (one byte a character), the decoded
 * claims and the fields derived from them (at most the token's length again: base64url is 4/3 of the JSON it
 * encodes), and a fixed 512 bytes for the entry, the frozen objects and the LRU's bookkeeping. The estimate only has
 * to grow with the token: it bounds what a flood of large tokens can hold.
 */
export function entryBytes(jwt: string): number {
  return 2 * jwt.length + 512;
}

/**
 * Verified tokens by their compact form, each with its deadline: at most `maxEntries` (none when 0) and at most
 * `maxBytes` as estimated by {@link entryBytes}, whichever is reached first.
 */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, Entry> | undefined;

  constructor(maxEntries: number, maxBytes: number = DEFAULT_CACHE_MAX_BYTES) {
    this.lru =
      maxEntries > 0 && maxBytes > 0
        ? new LRUCache<string, Entry>({ max: maxEntries, maxSize: maxBytes, sizeCalculation: (_entry, jwt) => entryBytes(jwt) })
        : undefined;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  /** Estimated bytes held ({@link entryBytes} summed). */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
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
