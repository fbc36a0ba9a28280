/**
 * Public shapes of the token source (the client side).
 *
 * @module
 */
import type { ServiceIdentity } from "../identity/types.js";
import type { ClientAuthentication } from "./authentication.js";


/** Retries of failed token and discovery requests: network errors, timeouts and 5xx only, never 4xx. */
export interface RetryOptions {
  /** Attempts after the first. Default 3. */
  readonly retries?: number;
  /** Delay cap of the first retry; doubles each time ("full jitter": a random delay up to the cap). Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Largest delay cap. Default 2 000 ms. */
  readonly maxDelayMs?: number;
}

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /** The auth server's issuer URL; its metadata (RFC 8414) names the token endpoint. */
  readonly issuer: string;
  /** This service's id (its `client_id`). */
  readonly clientId: string;
  /** How to authenticate to the token endpoint. */
  readonly auth: ClientAuthentication;
  /** Start refreshing in the background when a token has less than this left. Default 60 s (at most half its lifetime). */
  readonly refreshAheadSec?: number;
  /** Never hand out a token with less than this left; wait for a new one instead. Default 10 s (at most a quarter of its lifetime). */
  readonly minValiditySec?: number;
  /** Timeout of one discovery or token request. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Retries with exponential backoff and jitter. */
  readonly retry?: RetryOptions;
  /** Maximum number of (resource, scopes) pairs whose tokens are kept. Default 1 000. */
  readonly cacheSize?: number;
  /**
   * The service's Gatehouse identity ({@link ServiceIdentity}): tokens are asked for over mutual TLS with its
   * certificate, so they come back certificate-bound (RFC 8705 `cnf.x5t#S256`), and `authFetch` presents the same
   * certificate to the target. A renewed certificate drops the cached tokens bound to the old one.
   */
  readonly identity?: ServiceIdentity;
  /** PEM text or a PEM file of the CA certificates to trust for an HTTPS issuer (and `authFetch` targets) the system does not trust (without `identity`); a file is re-read when it changes (a CA rotation). */
  readonly trustBundle?: string;
}

/** What to ask a token for. */
export interface TokenRequest {
  /** The target service's resource URI (RFC 8707 `resource`): the token's audience. */
  readonly resource: string;
  /** The scopes to ask for; order does not matter (the cache key sorts them). */
  readonly scopes?: readonly string[];
}

/** `fetch` init plus the token to attach. */
export type AuthFetchInit = RequestInit & TokenRequest;

/** Counters for metrics; a snapshot. */
export interface TokenSourceStats {
  /** Token requests sent to the token endpoint (each retry counted). */
  readonly tokenRequests: number;
  /** `getToken` calls answered with a cached token. */
  readonly cacheHits: number;
  /** Background refreshes started ahead of expiry. */
  readonly refreshesAhead: number;
  /** Token requests that failed after all retries. */
  readonly failures: number;
}

/** The client side: tokens for calling other services. Create one per process with {@link createTokenSource}. */
export interface TokenSource {
  /**
   * A bearer token for `resource` with `scopes`: from the cache while it has more than `minValiditySec` left,
   * refreshed in the background once it has less than `refreshAheadSec` left; concurrent callers for the same
   * (resource, scopes) share one token request. Rejects with a `GatehouseError` whose `code` is the server's OAuth
   * error (`invalid_client`, `invalid_scope`, `invalid_target`, ...) with its `error_description`, or a transport code.
   */
  getToken(request: TokenRequest): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer` for `init.resource`. On a 401 whose `WWW-Authenticate` says
   * `error="invalid_token"` it drops the token, gets a new one and retries once (unless the body is a stream,
   * which cannot be sent twice). Other responses are returned as they are.
   */
  authFetch(input: string | URL, init: AuthFetchInit): Promise<Response>;
  /** Counters for metrics. */
  readonly stats: TokenSourceStats;
  /** Drops cached tokens; later calls reject. Background refreshes in flight are ignored. */
  close(): void;
}
