/**
 * The issuer's signing keys: fetched once, refreshed when due (in the background) or when a token names an unknown
 * `kid` (at most once per cooldown), and kept verifying while refreshes fail, up to the stale-if-error bound.
 *
 * Built on jose's `createLocalJWKSet` with our own fetching, because jose's `createRemoteJWKSet` fails every
 * verification once its cache is older than its max age and the server does not answer.
 *
 * @module
 */
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { discover, isTimeout, parseUrl, transportError } from "../discovery.js";
import { fetchTrusting } from "../identity/trust-bundle.js";
import { GatehouseError } from "../errors.js";
import { VERIFIER_DEFAULTS } from "./defaults.js";

/** Resolved settings of the key store. */
export interface KeyStoreSettings {
  readonly issuer: URL | undefined;
  readonly jwksUri: URL | undefined;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly staleIfErrorMs: number;
  readonly timeoutMs: number;
  /** Sends discovery and JWKS requests (trusting the `trustBundle` option). */
  readonly fetch: typeof fetch;
}

/** Counters the verifier reports in its stats. */
export interface KeyStoreCounters {
  refreshes: number;
  errors: number;
  unknownKidRefetches: number;
  unknownKidCooldownSkips: number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** After a failed fetch, the next attempt waits at most this long (or the cooldown, when shorter). */
const RETRY_AFTER_ERROR_MS = 1000;

/**
 * The key set of one issuer, behind `getKey` (jose's key resolver). Refreshes are single-flight; `counters` feed the
 * verifier's stats and `health()` its readiness.
 */
export class KeyStore {
  readonly counters: KeyStoreCounters = { refreshes: 0, errors: 0, unknownKidRefetches: 0, unknownKidCooldownSkips: 0 };
  /** The `issuer` of the discovered metadata, when discovery was used. */
  discoveredIssuer: string | undefined;

  private keys: LocalKeySet | undefined;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastRefreshOk = true;
  private lastError: GatehouseError | undefined;
  private staleSince: number | undefined;
  private inFlight: Promise<void> | undefined;
  private jwksUri: URL | undefined;
  private closed = false;

  constructor(private readonly settings: KeyStoreSettings) {
    this.jwksUri = settings.jwksUri;
  }

  /** The key resolver handed to `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.usableKeys();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      // A kid we do not know: the issuer may have rotated. Refetch, at most once per cooldown; a fetch already
      // under way (another token with the same new kid) is shared.
      if (this.inFlight !== undefined) {
        await this.inFlight.catch(() => undefined);
      } else if (Date.now() - this.lastAttemptAt >= this.settings.cooldownMs) {
        this.counters.unknownKidRefetches += 1;
        await this.refresh().catch(() => undefined);
      } else {
        this.counters.unknownKidCooldownSkips += 1;
        throw error;
      }
      const refreshed = this.keys;
      if (refreshed === undefined || refreshed === keys) throw error;
      return refreshed(header, token);
    }
  };

  /** Loads the key set if none is loaded; rejects with `jwks_unavailable` when that fails. */
  async ready(): Promise<void> {
    await this.usableKeys();
  }

  /**
   * The key set's state. When no usable key set is loaded, it also starts a background load (as often as failed
   * loads may be retried), so a readiness probe recovers once the issuer answers, without traffic.
   */
  health(): { keysLoaded: boolean; lastRefreshOk: boolean; staleSinceMs?: number } {
    const now = Date.now();
    const keysLoaded = this.keys !== undefined && now < this.usableUntil();
    if (!keysLoaded && !this.closed && this.mayAttempt(now)) this.refresh().catch(() => undefined);
    return this.staleSince === undefined
      ? { keysLoaded, lastRefreshOk: this.lastRefreshOk }
      : { keysLoaded, lastRefreshOk: this.lastRefreshOk, staleSinceMs: this.staleSince };
  }

  close(): void {
    this.closed = true;
    this.keys = undefined;
  }

  /** Epoch ms after which the loaded key set may no longer be used. */
  private usableUntil(): number {
    return this.fetchedAt + this.settings.maxAgeMs + this.settings.staleIfErrorMs;
  }

  /** The current key set: fresh, or stale within its bound (refreshing in the background), or freshly loaded. */
  private async usableKeys(): Promise<LocalKeySet> {
    if (this.closed) throw new GatehouseError("jwks_unavailable", "the verifier is closed");
    const now = Date.now();
    const keys = this.keys;
    if (keys !== undefined) {
      if (now - this.fetchedAt < this.settings.maxAgeMs) return keys;
      if (now < this.usableUntil()) {
        // Due for refresh: serve the keys we have, refresh in the background (stale-while-revalidate).
        if (this.mayAttempt(now)) this.refresh().catch(() => undefined);
        return keys;
      }
    }
    // No key set, or one past its stale-if-error bound: wait for a fetch.
    if (this.inFlight !== undefined || this.mayAttempt(now)) await this.refresh().catch(() => undefined);
    const loaded = this.keys;
    if (loaded !== undefined && Date.now() < this.usableUntil()) return loaded;
    const reason = this.lastError?.description ?? "no key set loaded";
    throw new GatehouseError("jwks_unavailable", `the issuer's signing keys are unavailable: ${reason}`, {
      cause: this.lastError,
    });
  }

  private mayAttempt(now: number): boolean {
    const wait = this.lastRefreshOk ? 0 : Math.min(this.settings.cooldownMs, RETRY_AFTER_ERROR_MS);
    return this.inFlight === undefined && now - this.lastAttemptAt >= wait;
  }

  /** One fetch at a time; callers arriving during a fetch share it. */
  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttemptAt = Date.now();
    try {
      const jwks = await this.download();
      if (this.closed) return;
      this.keys = createLocalJWKSet(jwks);
      this.fetchedAt = Date.now();
      this.lastRefreshOk = true;
      this.lastError = undefined;
      this.staleSince = undefined;
      this.counters.refreshes += 1;
    } catch (error) {
      this.counters.errors += 1;
      this.lastRefreshOk = false;
      this.staleSince ??= Date.now();
      this.lastError = toKeyError(error, this.settings.timeoutMs);
      throw this.lastError;
    }
  }

  private async download(): Promise<JSONWebKeySet> {
    const { timeoutMs } = this.settings;
    if (this.jwksUri === undefined) {
      const issuer = this.settings.issuer;
      if (issuer === undefined) throw new GatehouseError("invalid_options", "issuer or jwksUri is required");
      const metadata = await discover(issuer, timeoutMs, this.settings.fetch === fetch ? undefined : this.settings.fetch);
      if (typeof metadata.jwks_uri !== "string") {
        throw new GatehouseError("discovery_failed", `the metadata of ${issuer.href} has no jwks_uri`);
      }
      this.discoveredIssuer = metadata.issuer;
      this.jwksUri = parseUrl(metadata.jwks_uri, "jwks_uri");
    }
    const response = await this.settings.fetch(this.jwksUri, {
      headers: { accept: "application/json, application/jwk-set+json" },
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new GatehouseError("jwks_unavailable", `GET ${this.jwksUri.href} answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (isTimeout(error)) throw error;
      throw new GatehouseError("invalid_response", `GET ${this.jwksUri.href} did not answer JSON`, { cause: error });
    }
    if (!isKeySet(body)) {
      throw new GatehouseError("invalid_response", `GET ${this.jwksUri.href} did not answer a JSON Web Key Set`);
    }
    return body;
  }
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  if (typeof value !== "object" || value === null) return false;
  const keys = (value as { keys?: unknown }).keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === "object" && key !== null && !Array.isArray(key));
}

function toKeyError(error: unknown, timeoutMs: number): GatehouseError {
  if (error instanceof GatehouseError) return error;
  const transport = transportError(error, "the key set request", timeoutMs);
  if (transport !== undefined) return transport;
  const reason = error instanceof Error ? error.message : String(error);
  return new GatehouseError("invalid_response", `the key set request failed: ${reason}`, { cause: error });
}

/** Resolves the key store settings from the verifier's options. */
export function keyStoreSettings(
  issuer: string | undefined,
  jwksUri: string | undefined,
  options: { cooldownMs?: number; maxAgeMs?: number; staleIfErrorSec?: number; timeoutMs?: number },
  trustBundle?: string,
): KeyStoreSettings {
  return {
    fetch: fetchTrusting(trustBundle),
    issuer: issuer === undefined ? undefined : parseUrl(issuer, "issuer"),
    jwksUri: jwksUri === undefined ? undefined : parseUrl(jwksUri, "jwksUri"),
    cooldownMs: options.cooldownMs ?? VERIFIER_DEFAULTS.jwks.cooldownMs,
    maxAgeMs: options.maxAgeMs ?? VERIFIER_DEFAULTS.jwks.maxAgeMs,
    staleIfErrorMs: (options.staleIfErrorSec ?? VERIFIER_DEFAULTS.jwks.staleIfErrorSec) * 1000,
    timeoutMs: options.timeoutMs ?? VERIFIER_DEFAULTS.jwks.timeoutMs,
  };
}
