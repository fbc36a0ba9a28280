import type { Logger } from "@gatehouse/service-kit";
import { Counter, type Registry } from "prom-client";
import type { AuthServerConfig } from "../config/schema.js";
import { AuthServerError } from "../errors.js";
import type { SigningKeys } from "../keys/signing-keys.js";
import type { RegistryStore, ServiceRecord } from "../registry/store.js";
import type { FeedRecord, Revocation, RevocationCause, RevocationRecord, RevocationRequest } from "./entry.js";
import type { AuthSecurityEvents } from "../observe/security-events.js";
import type { RevocationStore } from "./store.js";

/** What {@link Revocations} is built from. */
export interface RevocationsOptions {
  readonly store: RevocationStore;
  readonly registry: RegistryStore;
  readonly keys: SigningKeys;
  readonly tokens: AuthServerConfig["tokens"];
  readonly logger: Logger;
  /** Where the revocation counter is registered (the server's metrics registry). */
  readonly metrics: Registry;
  /** Where each recorded revocation goes as an `admin.revocation` security event. */
  readonly events?: AuthSecurityEvents | undefined;
}

/**
 * Revocations: validates and records them, with an audit line naming the actor, and times them.
 * An entry lives until the last token it can cover has expired: the longest token lifetime the
 * registry allows now (plus the clock tolerance) after the revocation; for a key, after the key's
 * retirement when that is later.
 *
 * A service revocation covers tokens with `iat` before the first whole second at least 200 ms
 * ahead (`iat` has a resolution of one second). So that the service's next token is never
 * covered, the token endpoint holds a token request of a service revoked that recently until
 * that second has begun ({@link Revocations.holdIssuance}: 0.2 to 1.2 s), on every replica (each
 * learns of revocations through the store's feed); the hold also lets every replica's registry
 * snapshot catch up with a registry change before the new token is signed.
 */
export class Revocations {
  readonly #options: RevocationsOptions;
  /** service id → `issuedBefore` (ms) of its latest revocation, while that is in the future. */
  readonly #recentServices = new Map<string, number>();
  #unsubscribe: (() => void) | undefined;
  readonly #counter: Counter<"kind" | "cause">;

  constructor(options: RevocationsOptions) {
    this.#options = options;
    this.#counter = new Counter({
      name: "gatehouse_auth_revocations_total",
      help: "Revocations recorded by this process, by kind (jti, service, kid) and cause (admin, registry_change).",
      labelNames: ["kind", "cause"] as const,
      registers: [options.metrics],
    });
  }

  /** Starts following the feed (revocations other replicas record), for {@link Revocations.holdIssuance}. */
  start(): void {
    this.#unsubscribe ??= this.#options.store.subscribe((record) => this.#remember(record.revocation));
  }

  /** How long entries and feed records are kept: the longest token lifetime, with the tolerance. */
  async retentionSeconds(): Promise<number> {
    const { ttlSeconds, clockToleranceSeconds } = this.#options.tokens;
    const services = await this.#options.registry.list();
    return Math.max(ttlSeconds, ...services.map((s) => s.tokenTtlSeconds ?? ttlSeconds)) + clockToleranceSeconds;
  }

  /**
   * Records a revocation. Unknown service, unknown key → 400 `invalid_revocation` with the reason
   * (a malformed body is refused before, by the request schema).
   */
  async revoke(request: RevocationRequest, actor: string, cause: RevocationCause = "admin"): Promise<FeedRecord> {
    const nowMs = Date.now();
    const now = Math.floor(nowMs / 1000);
    const retention = await this.retentionSeconds();
    let revocation: Revocation;
    let attributes: Readonly<Record<string, string>> | undefined;
    if (request.service !== undefined) {
      const service = await this.#options.registry.get(request.service);
      if (service === undefined) throw new AuthServerError("invalid_revocation", `service: unknown service "${request.service}"`);
      // At least 200 ms ahead: the hold it implies also gives every replica's registry time to see a change.
      const issuedBefore = Math.ceil((nowMs + 200) / 1000);
      revocation = { kind: "service", value: service.id, revokedAt: now, issuedBefore, until: issuedBefore + retention };
      if (cause === "registry_change") attributes = service.attributes;
    } else if (request.kid !== undefined) {
      const key = this.#options.keys.keys.find((k) => k.kid === request.kid);
      if (key === undefined) throw new AuthServerError("invalid_revocation", `kid: no signing key "${request.kid}" is loaded`);
      const retired = key.retireAt === undefined ? now : Math.ceil(Date.parse(key.retireAt) / 1000);
      revocation = { kind: "kid", value: key.kid, revokedAt: now, until: Math.max(now, retired) + retention };
      if (this.#options.keys.signingKid() === key.kid) {
        this.#options.logger.warn({ kid: key.kid }, "the revoked key still signs: rotate the keys (gatehouse-auth keys rotate) or every new token is refused");
      }
    } else if (request.jti !== undefined) {
      revocation = { kind: "jti", value: request.jti, revokedAt: now, until: now + retention };
    } else {
      throw new AuthServerError("invalid_revocation", 'set exactly one of "jti", "service", "kid"');
    }
    const record: RevocationRecord = {
      revocation,
      actor,
      cause,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(attributes === undefined ? {} : { attributes }),
    };
    const added = await unavailableAs503(this.#options.store.add(record, retention), "the revocation is not recorded; retry");
    this.#remember(revocation);
    this.#counter.inc({ kind: revocation.kind, cause });
    this.#options.logger.info(
      { audit: true, event: "revocation.created", kind: revocation.kind, value: revocation.value, cause, actor, reason: request.reason, until: revocation.until, feedId: added.id },
      "revocation recorded",
    );
    this.#options.events?.revocation(revocation.kind, revocation.value, cause, actor);
    return added;
  }

  /** Every active revocation, with the feed id the list is complete up to. */
  async list(): Promise<{ id: string; records: readonly RevocationRecord[] }> {
    return unavailableAs503(this.#options.store.snapshot(Math.floor(Date.now() / 1000)), "retry");
  }

  /** Waits (at most 1.2 s) until a token issued to `service` now would not be covered by its latest revocation. */
  async holdIssuance(service: string): Promise<void> {
    const until = this.#recentServices.get(service);
    if (until === undefined) return;
    // Timers may fire a little before the wall clock says so: wait until Date.now() (which `iat` is read from) agrees.
    const giveUp = performance.now() + 1500; // bounded even if the wall clock steps back
    for (let wait = until - Date.now(); wait > 0 && performance.now() < giveUp; wait = until - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait + 2, 1200)));
    }
    if (this.#recentServices.get(service) === until) this.#recentServices.delete(service);
  }

  /**
   * A registry change is an access change: when a service's attributes, allow list or disabled
   * flag change, every token it holds is revoked, so its next call fails once and its next token
   * carries the new state.
   */
  async accessChanged(before: ServiceRecord, after: ServiceRecord, actor: string): Promise<void> {
    const changed =
      JSON.stringify(before.attributes) !== JSON.stringify(after.attributes) ||
      JSON.stringify(before.allow) !== JSON.stringify(after.allow) ||
      before.disabled !== after.disabled;
    if (changed) await this.revoke({ service: after.id, reason: "registry change" }, actor, "registry_change");
  }

  close(): void {
    this.#unsubscribe?.();
  }

  #remember(revocation: Revocation): void {
    if (revocation.kind !== "service" || revocation.issuedBefore === undefined) return;
    const ms = revocation.issuedBefore * 1000;
    if (ms > Date.now() && ms > (this.#recentServices.get(revocation.value) ?? 0)) this.#recentServices.set(revocation.value, ms);
  }
}

/** A store failure (Redis down) is a 503 saying what did not happen, never a 500. */
async function unavailableAs503<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new AuthServerError("service_unavailable", `the revocation store does not answer: ${what}`, { cause: error });
  }
}
