import { randomUUID } from "node:crypto";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import type { SigningKeys } from "../keys/signing-keys.js";
import type { Revocation, RevocationRecord } from "./entry.js";

/** The `typ` header of every event (RFC 8417 §2.3). */
export const SET_TYPE = "secevent+jwt";
/** The member of an event that carries the revocation itself. */
export const REVOCATION_MEMBER = "urn:gatehouse:revocation";
/** CAEP: a session (here: a token, or every token of a service) was revoked. */
export const CAEP_SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
/** CAEP: the claims of a subject's tokens changed (a registry change of the service). */
export const CAEP_TOKEN_CLAIMS_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/token-claims-change";
/** No CAEP type fits a signing key's revocation. */
export const KEY_REVOKED = "urn:gatehouse:secevent:key-revoked";
/** The first event of a feed: every active revocation at once. */
export const REVOCATION_SNAPSHOT = "urn:gatehouse:secevent:revocation-snapshot";

/** The event type and body of one revocation record. */
export function eventOf(record: RevocationRecord, issuer: string): [type: string, body: Record<string, unknown>] {
  const r = record.revocation;
  const common = {
    event_timestamp: r.revokedAt,
    initiating_entity: record.cause === "admin" ? "admin" : "policy",
    ...(record.reason === undefined ? {} : { reason_admin: { en: record.reason } }),
    [REVOCATION_MEMBER]: r,
  };
  switch (r.kind) {
    case "jti":
      return [CAEP_SESSION_REVOKED, { subject: { format: "jwt_id", iss: issuer, jti: r.value }, ...common }];
    case "service":
      return record.cause === "registry_change"
        ? [CAEP_TOKEN_CLAIMS_CHANGE, { subject: { format: "iss_sub", iss: issuer, sub: r.value }, claims: { "urn:gatehouse:attributes": record.attributes ?? {} }, ...common }]
        : [CAEP_SESSION_REVOKED, { subject: { format: "iss_sub", iss: issuer, sub: r.value }, ...common }];
    case "kid":
      return [KEY_REVOKED, { subject: { format: "opaque", id: r.value }, ...common }];
  }
}

/**
 * Signs the feed's Security Event Tokens (RFC 8417) with the server's current signing key (ES256,
 * `typ: secevent+jwt`), so any holder of the issuer's JWKS can check them. One SET carries one event;
 * a snapshot carries every active revocation in one `revocation-snapshot` event.
 */
export class SecurityEventSigner {
  readonly #keys: SigningKeys;
  readonly #issuer: () => string;
  readonly #imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(keys: SigningKeys, issuer: () => string) {
    this.#keys = keys;
    this.#issuer = issuer;
  }

  /** The SET of one revocation record. */
  record(record: RevocationRecord): Promise<string> {
    const [type, body] = eventOf(record, this.#issuer());
    return this.#sign({ [type]: body });
  }

  /** The SET of a snapshot: every active revocation. */
  snapshot(revocations: readonly Revocation[]): Promise<string> {
    return this.#sign({ [REVOCATION_SNAPSHOT]: { revocations } });
  }

  async #sign(events: Record<string, unknown>): Promise<string> {
    const kid = this.#keys.signingKid();
    const jwk = this.#keys.published().find((k) => k.kid === kid);
    if (jwk === undefined) throw new Error(`signing key ${kid} is not published`);
    let key = this.#imported.get(kid);
    if (key === undefined) {
      key = importJWK(jwk as JWK, "ES256");
      this.#imported.set(kid, key);
    }
    return new SignJWT({ events })
      .setProtectedHeader({ alg: "ES256", kid, typ: SET_TYPE })
      .setIssuer(this.#issuer())
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(await key);
  }
}
