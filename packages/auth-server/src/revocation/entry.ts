import { z } from "zod";
import { serviceIdSchema } from "../config/schema.js";

/** What a revocation covers: one token (`jti`), every token of a service issued before it (`service`), every token of a signing key (`kid`). */
export type RevocationKind = "jti" | "service" | "kid";

/**
 * One revocation as stored, listed and published (`urn:gatehouse:revocation` in each event):
 * - `jti`: the token with this `jti`;
 * - `service`: every token whose `sub` is this service and whose `iat` is before `issuedBefore`;
 * - `kid`: every token signed with this key, whatever its `iat`.
 *
 * `until` (seconds since the epoch) is when the last token it can cover has expired; the entry
 * is dropped then, by the server and by every subscriber.
 */
export interface Revocation {
  readonly kind: RevocationKind;
  readonly value: string;
  /** When it was made, seconds since the epoch. */
  readonly revokedAt: number;
  /** `service` only: tokens with `iat` < this (seconds) are covered. */
  readonly issuedBefore?: number;
  readonly until: number;
}

/** Why a revocation was made: by an operator, or by a registry change of the service. */
export type RevocationCause = "admin" | "registry_change";

/** A revocation with who made it and why, as kept in the feed. */
export interface RevocationRecord {
  readonly revocation: Revocation;
  readonly actor: string;
  readonly cause: RevocationCause;
  readonly reason?: string;
  /** For a registry change: the service's new attributes (CAEP `token-claims-change`). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A record with its feed id (a Redis stream id, `<ms>-<seq>`, monotonic across replicas). */
export interface FeedRecord extends RevocationRecord {
  readonly id: string;
}

/**
 * The `jti` values this server issues are oidc-provider's (43 characters of base64url); any other
 * issuer's are accepted up to 256 characters of the same alphabet plus `.` and `:`.
 */
const jtiSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,256}$/, "must be 1-256 characters of A-Z a-z 0-9 _ . : -");
const kidSchema = z.string().regex(/^[\x21-\x7E]{1,256}$/, "must be 1-256 printable ASCII characters");

/** The body of `POST /admin/revocations`: exactly one of `jti`, `service`, `kid`, and an optional `reason`. */
export const revocationRequestSchema = z
  .strictObject({
    jti: jtiSchema.optional().describe("Revoke the token with this `jti`."),
    service: serviceIdSchema.optional().describe("Revoke every token issued to this service until now."),
    kid: kidSchema.optional().describe("Revoke every token signed with this key."),
    reason: z.string().max(512).optional().describe("Free text for the audit log and the event's `reason_admin`."),
  })
  .refine((body) => [body.jti, body.service, body.kid].filter((v) => v !== undefined).length === 1, {
    error: 'set exactly one of "jti", "service", "kid"',
  });

/** A validated revocation request. */
export type RevocationRequest = z.output<typeof revocationRequestSchema>;

/** The key of an entry in the active set: one entry per kind and value (a newer one replaces it). */
export function entryKey(revocation: Pick<Revocation, "kind" | "value">): string {
  return `${revocation.kind}:${revocation.value}`;
}

/** Whether an entry still covers a token at `nowSec`. */
export function isActive(revocation: Revocation, nowSec: number): boolean {
  return revocation.until > nowSec;
}

/** Parses a stored entry; undefined when it is not one (never trusted blindly from Redis). */
export function parseRecord(json: string): RevocationRecord | undefined {
  try {
    const value = JSON.parse(json) as RevocationRecord;
    const r = value.revocation;
    if (typeof r !== "object" || !["jti", "service", "kid"].includes(r.kind) || typeof r.value !== "string" || typeof r.until !== "number") return undefined;
    return value;
  } catch {
    return undefined;
  }
}
