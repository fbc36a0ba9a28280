/**
 * The revocations a verifier knows of, checked in O(1) per token: a `Map` lookup by `jti`, by service (a
 * "revoked before" `iat`) and by `kid`, whatever the number of entries.
 *
 * @module
 */

/** One revocation as the feed publishes it (the `urn:gatehouse:revocation` member of each event). */
export interface Revocation {
  /** `jti`: one token; `service`: every token of the service with `iat` < `issuedBefore`; `kid`: every token of the key. */
  readonly kind: "jti" | "service" | "kid";
  readonly value: string;
  /** When it was made, seconds since the epoch. */
  readonly revokedAt: number;
  /** `service` only: tokens issued (`iat`) before this are covered. */
  readonly issuedBefore?: number;
  /** Seconds since the epoch after which no token it covers is still valid; the entry is dropped then. */
  readonly until: number;
}

/** What the set needs of a token. */
export interface RevocableToken {
  readonly jti: string;
  readonly service: string;
  readonly issuedAt: number;
  readonly keyId?: string | undefined;
}

/** Parses a feed entry strictly; undefined when it is not one. */
export function parseRevocation(value: unknown): Revocation | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const kind = r["kind"];
  if (kind !== "jti" && kind !== "service" && kind !== "kid") return undefined;
  const entry = r["value"];
  const until = r["until"];
  const revokedAt = r["revokedAt"];
  const issuedBefore = r["issuedBefore"];
  if (typeof entry !== "string" || entry === "" || typeof until !== "number" || typeof revokedAt !== "number") return undefined;
  if (kind === "service") {
    if (typeof issuedBefore !== "number") return undefined;
    return { kind, value: entry, revokedAt, issuedBefore, until };
  }
  return { kind, value: entry, revokedAt, until };
}

/** The active revocations, by kind. */
export class RevocationSet {
  readonly #jti = new Map<string, number>();
  readonly #service = new Map<string, { issuedBefore: number; until: number }>();
  readonly #kid = new Map<string, number>();

  /** Entries held now (expired ones leave on the next {@link RevocationSet.purge}). */
  get size(): number {
    return this.#jti.size + this.#service.size + this.#kid.size;
  }

  /**
   * Adds a snapshot to what is held. Entries leave only when they expire ({@link RevocationSet.purge}), never because a
   * snapshot lacks them: a feed that lost its data (a Redis restart without persistence) cannot take a revocation back.
   */
  merge(revocations: readonly Revocation[], nowSec: number): void {
    for (const revocation of revocations) this.apply(revocation);
    this.purge(nowSec);
  }

  /** Adds one revocation; of two for the same service or key, the wider one stays. */
  apply(revocation: Revocation): void {
    switch (revocation.kind) {
      case "jti":
        this.#jti.set(revocation.value, Math.max(revocation.until, this.#jti.get(revocation.value) ?? 0));
        return;
      case "kid":
        this.#kid.set(revocation.value, Math.max(revocation.until, this.#kid.get(revocation.value) ?? 0));
        return;
      case "service": {
        const previous = this.#service.get(revocation.value);
        this.#service.set(revocation.value, {
          issuedBefore: Math.max(revocation.issuedBefore ?? 0, previous?.issuedBefore ?? 0),
          until: Math.max(revocation.until, previous?.until ?? 0),
        });
        return;
      }
    }
  }

  /** Which kind of revocation covers `token` at `nowSec`, if any. */
  covers(token: RevocableToken, nowSec: number): Revocation["kind"] | undefined {
    const byJti = this.#jti.get(token.jti);
    if (byJti !== undefined && byJti > nowSec) return "jti";
    const byService = this.#service.get(token.service);
    if (byService !== undefined && byService.until > nowSec && token.issuedAt < byService.issuedBefore) return "service";
    if (token.keyId !== undefined) {
      const byKid = this.#kid.get(token.keyId);
      if (byKid !== undefined && byKid > nowSec) return "kid";
    }
    return undefined;
  }

  /** Drops the entries whose last covered token has expired. */
  purge(nowSec: number): void {
    for (const [key, until] of this.#jti) if (until <= nowSec) this.#jti.delete(key);
    for (const [key, until] of this.#kid) if (until <= nowSec) this.#kid.delete(key);
    for (const [key, entry] of this.#service) if (entry.until <= nowSec) this.#service.delete(key);
  }
}
