/**
 * Public shapes of the verifier: its options, what it returns, its health and counters.
 *
 * @module
 */
import type { JWTPayload } from "jose";
import type { RevocationOptions, RevocationStatus } from "../revocation/types.js";

/** The claim under which the Gatehouse auth server puts the calling service's attributes (an object of strings). */
export const ATTRIBUTES_CLAIM = "urn:gatehouse:attributes";

/** JWKS handling of {@link VerifierOptions}. */
export interface JwksOptions {
  /** Minimum time between two refetches caused by a token with an unknown `kid`. Default 30 000 ms. */
  readonly cooldownMs?: number;
  /** How long a fetched key set counts as fresh; after that it is refreshed in the background. Default 600 000 ms. */
  readonly maxAgeMs?: number;
  /**
   * How long a key set that is due for refresh keeps verifying while every refresh fails (stale-if-error),
   * counted from the moment it stopped being fresh. After that, `verify` fails with `jwks_unavailable`.
   * Default 3 600 s.
   */
  readonly staleIfErrorSec?: number;
  /** Timeout of one discovery or JWKS request. Default 5 000 ms. */
  readonly timeoutMs?: number;
}

/** Options of {@link createVerifier}. Give `issuer` (keys found through discovery), `jwksUri`, or both. */
export interface VerifierOptions {
  /**
   * The expected `iss`; also where the metadata (RFC 8414) is discovered when `jwksUri` is absent. Without it, `iss`
   * must only be present: give it whenever the issuer is known.
   */
  readonly issuer?: string;
  /** Where the key set is fetched; when given with `issuer`, no discovery request is made. */
  readonly jwksUri?: string;
  /** The expected `aud` (one of the token's audiences must match); `verify` may override it per call. */
  readonly audience?: string | readonly string[];
  /** Accepted JWS algorithms; `none` and the HMAC family (`HS*`) are refused. Default `["ES256"]`. */
  readonly algorithms?: readonly string[];
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. Default 5. */
  readonly clockToleranceSec?: number;
  /** Maximum age of a token (now − `iat`), in seconds; absent: bounded by `exp` only. */
  readonly maxTokenAgeSec?: number;
  /** Maximum number of verified tokens kept in memory; 0 disables the cache. Default 10 000. */
  readonly cacheSize?: number;
  /**
   * Maximum heap bytes of the verified-token cache, estimated per entry as two bytes per character of the token plus
   * 512; least recently used tokens are evicted first, whichever of the two bounds is reached. Default 32 MiB: 10 000
   * tokens of up to about 1 400 characters fit (a Gatehouse token is about 550); fewer of larger ones.
   */
  readonly cacheMaxBytes?: number;
  /** Key set fetching, refresh and stale-if-error bounds. */
  readonly jwks?: JwksOptions;
  /**
   * Subscribe to the auth server's revocation feed and refuse revoked tokens (by `jti`, by service, by signing key),
   * cached ones included. Absent: no revocation check.
   */
  readonly revocation?: RevocationOptions;
  /** PEM text or a PEM file of the CA certificates to trust for an HTTPS issuer the system does not trust (the dev trust bundle); a file is re-read when it changes (a CA rotation). */
  readonly trustBundle?: string;
}

/** Per-call options of {@link Verifier.verify} and {@link Verifier.verifyCached}. */
export interface VerifyCallOptions {
  /** The expected audience for this call; overrides {@link VerifierOptions.audience}. */
  readonly audience?: string | readonly string[];
}

/** A verified access token, reduced to what authorization decisions need. Deeply frozen. */
export interface VerifiedToken {
  /** The calling service: `sub`, equal to `client_id`. */
  readonly service: string;
  /** `client_id` (RFC 9068 §2.2). */
  readonly clientId: string;
  /** `scope`, split on spaces. */
  readonly scopes: readonly string[];
  /** `aud` as an array. */
  readonly audience: readonly string[];
  /** The caller's attributes from the `urn:gatehouse:attributes` claim; empty when absent. */
  readonly attributes: Readonly<Record<string, string>>;
  /** `jti`. */
  readonly jti: string;
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number;
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number;
  /** The `kid` of the key that signed it, when its header names one. */
  readonly keyId?: string;
  /** Every claim of the token as sent. */
  readonly claims: Readonly<JWTPayload>;
}

/** What {@link Verifier.health} reports, for readiness probes. */
export interface VerifierHealth {
  /** Whether a key set has been loaded and may still be used (fresh, or stale within its bound). */
  readonly keysLoaded: boolean;
  /** Whether the last discovery/JWKS fetch succeeded (true before the first attempt completes). */
  readonly lastRefreshOk: boolean;
  /** Epoch milliseconds of the first failed refresh since the last successful one; absent while refreshes succeed. */
  readonly staleSinceMs?: number;
}

/** Counters for metrics; a snapshot, read it again for new values. */
export interface VerifierStats {
  /** Tokens answered from the verified-token cache. */
  readonly cacheHits: number;
  /** Signature and claims checks performed: tokens not in the cache (concurrent calls for one token share one). */
  readonly cacheMisses: number;
  /** Tokens in the cache now. */
  readonly cacheSize: number;
  /** Estimated heap bytes of the cache now (see {@link VerifierOptions.cacheMaxBytes}). */
  readonly cacheBytes: number;
  /** Tokens that failed verification. */
  readonly rejected: number;
  /** Successful key set fetches (the first load included). */
  readonly jwksRefreshes: number;
  /** Failed discovery or key set fetches. */
  readonly jwksErrors: number;
  /** Refetches caused by a token whose `kid` was not in the key set. */
  readonly unknownKidRefetches: number;
  /** Tokens with an unknown `kid` that could not trigger a refetch because of the cooldown. */
  readonly unknownKidCooldownSkips: number;
}

/** The resource side: checks access tokens. Create one per process with {@link createVerifier}. */
export interface Verifier {
  /**
   * Verifies an RFC 9068 access token: signature with a key of the issuer's JWKS and an allowed algorithm,
   * `typ` `at+jwt`, `iss`, `aud`, `exp`/`nbf`/`iat` with the clock tolerance, maximum age, and the presence of
   * `exp`, `iat`, `jti`, `client_id` and `sub` (equal to `client_id`). Tokens seen before come from the cache,
   * with `exp` and the audience checked again. Rejects with a `GatehouseError`: `invalid_token` for any token
   * problem, `jwks_unavailable` / `discovery_failed` (503) when no usable key set can be loaded.
   *
   * It does not check scopes or the calling service: that is the caller's policy (see `requireService`).
   */
  verify(token: string, options?: VerifyCallOptions): Promise<VerifiedToken>;
  /**
   * The synchronous hot path: the verified token when `token` is in the cache, still unexpired and for the
   * audience; `undefined` on a miss (then call {@link Verifier.verify}). Throws `invalid_token` when the token
   * is cached but expired or for another audience.
   */
  verifyCached(token: string, options?: VerifyCallOptions): VerifiedToken | undefined;
  /** Resolves once a key set is loaded; rejects with `jwks_unavailable` or `discovery_failed` otherwise. */
  ready(): Promise<void>;
  /**
   * Key set state for readiness probes. While no usable key set is loaded, each call may also start a background
   * load (at most one per second after a failure), so readiness recovers once the issuer answers.
   */
  health(): VerifierHealth;
  /** Counters for metrics. */
  readonly stats: VerifierStats;
  /** The revocation feed's state; undefined without the `revocation` option. */
  revocationStatus(): RevocationStatus | undefined;
  /** Resolves true once the first revocation snapshot is applied (immediately without the option), false after `timeoutMs`. */
  revocationReady(timeoutMs?: number): Promise<boolean>;
  /** Drops the cache and the keys, ends the revocation feed; later calls fail. */
  close(): void;
}
