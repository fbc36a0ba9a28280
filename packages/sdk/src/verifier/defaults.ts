/**
 * The verifier's defaults, written once: `createVerifier` applies them and the gateway's config schema uses them as
 * its own defaults, so both verify the same way unless told otherwise.
 *
 * @module
 */

/** What `createVerifier` uses for each option that is not given. */
export const VERIFIER_DEFAULTS = Object.freeze({
  /** Accepted JWS algorithms. */
  algorithms: Object.freeze<readonly string[]>(["ES256"]),
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSec: 5,
  /** Verified tokens kept in the LRU. */
  cacheSize: 10_000,
  /** Estimated heap bytes the LRU may hold: 10,000 tokens of up to about 1,400 characters fit. */
  cacheMaxBytes: 32 * 1024 * 1024,
  /** Key set fetching. */
  jwks: Object.freeze({
    /** Least time between two refetches caused by an unknown `kid`. */
    cooldownMs: 30_000,
    /** How long a fetched key set counts as fresh. */
    maxAgeMs: 600_000,
    /** How long a stale key set keeps verifying while refreshes fail. */
    staleIfErrorSec: 3_600,
    /** Timeout of one discovery or JWKS request. */
    timeoutMs: 5_000,
  }),
});
