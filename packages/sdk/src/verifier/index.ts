/**
 * The resource side: {@link createVerifier} checks RFC 9068 JWT access tokens with the issuer's keys.
 *
 * @module
 */
import { GatehouseError } from "../errors.js";
import { VERIFIER_DEFAULTS } from "./defaults.js";
import { RevocationGuard } from "../revocation/guard.js";
import { accessTokenCheck, checkAlgorithms } from "./access-token.js";
import { audienceMatches, toTokenError } from "./claims.js";
import { KeyStore, keyStoreSettings } from "./key-store.js";
import { VerifiedTokenCache } from "./token-cache.js";
import type { VerifiedToken, Verifier, VerifierOptions, VerifierStats, VerifyCallOptions } from "./types.js";

function invalidOptions(description: string): GatehouseError {
  return new GatehouseError("invalid_options", description);
}

function nonNegative(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw invalidOptions(`${name} must be a non-negative number, got ${String(value)}`);
  }
}

function checkNumbers(options: VerifierOptions): void {
  nonNegative(options.clockToleranceSec, "clockToleranceSec");
  nonNegative(options.maxTokenAgeSec, "maxTokenAgeSec");
  nonNegative(options.cacheSize, "cacheSize");
  nonNegative(options.cacheMaxBytes, "cacheMaxBytes");
  nonNegative(options.jwks?.cooldownMs, "jwks.cooldownMs");
  nonNegative(options.jwks?.maxAgeMs, "jwks.maxAgeMs");
  nonNegative(options.jwks?.staleIfErrorSec, "jwks.staleIfErrorSec");
  nonNegative(options.jwks?.timeoutMs, "jwks.timeoutMs");
  if (options.cacheSize !== undefined && !Number.isInteger(options.cacheSize)) {
    throw invalidOptions(`cacheSize must be an integer, got ${options.cacheSize}`);
  }
}

function revocationFeedUrl(options: VerifierOptions): string {
  const feedUrl = options.revocation?.feedUrl ?? (options.issuer === undefined ? undefined : `${options.issuer.replace(/\/$/, "")}/revocations`);
  if (feedUrl === undefined) throw invalidOptions("revocation.feedUrl is required when the verifier has no issuer");
  return feedUrl;
}

/**
 * Creates a verifier of RFC 9068 JWT access tokens issued by one Gatehouse auth server.
 *
 * What it checks, on every token not already in its cache (RFC 9068 §4, RFC 8725 §3):
 * - the JWS algorithm is in `algorithms` (default `["ES256"]`); `none` and `HS*` cannot be configured;
 * - the signature, with a key of the issuer's JWKS selected by `kid`;
 * - the `typ` header is `at+jwt` or `application/at+jwt`;
 * - `iss` equals `issuer` (when given), `aud` contains the audience of the call or of the options;
 * - `exp`, `iat`, `jti`, `client_id`, `sub` (equal to `client_id`) and `aud` are present and well typed;
 * - `exp` has not passed, `nbf` and `iat` are not in the future, and the token is not older than `maxTokenAgeSec`,
 *   each with `clockToleranceSec` of skew.
 *
 * A verified token is cached (bounded LRU, `cacheSize` entries) until it expires; cache hits check the deadline
 * and the audience again. With `revocation`, every token, from the cache or not, is checked against the revocations
 * of the auth server's feed (by `jti`, by service and `iat`, by `kid`: map lookups, whatever their number), and a
 * revocation drops the cached tokens it covers. It deliberately does not check scopes, the calling service or attributes: that is policy
 * (`requireService`, the gateway's authorizer). Throws `invalid_options` for an unusable configuration.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (options.issuer === undefined && options.jwksUri === undefined) throw invalidOptions("issuer or jwksUri is required");
  checkNumbers(options);
  const algorithms = checkAlgorithms(options.algorithms ?? VERIFIER_DEFAULTS.algorithms);
  const toleranceSec = options.clockToleranceSec ?? VERIFIER_DEFAULTS.clockToleranceSec;
  const maxTokenAgeSec = options.maxTokenAgeSec;
  const keys = new KeyStore(keyStoreSettings(options.issuer, options.jwksUri, options.jwks ?? {}, options.trustBundle));
  const cache = new VerifiedTokenCache(options.cacheSize ?? VERIFIER_DEFAULTS.cacheSize, options.cacheMaxBytes ?? VERIFIER_DEFAULTS.cacheMaxBytes);
  const counters = { hits: 0, misses: 0, rejected: 0 };
  // Verifications under way, so concurrent requests with the same new token share one signature check. Entries
  // leave when they settle: the map holds at most one entry per request in flight.
  const inFlight = new Map<string, Promise<VerifiedToken>>();
  let closed = false;
  const guard =
    options.revocation === undefined
      ? undefined
      : new RevocationGuard(options.revocation, {
          feedUrl: revocationFeedUrl(options),
          getKey: keys.getKey,
          algorithms,
          issuerMatches: (iss) => iss === options.issuer || (keys.discoveredIssuer !== undefined && iss === keys.discoveredIssuer),
        });
  // Cached tokens a revocation covers leave the cache at once; the check on every hit below is what guarantees it.
  guard?.onRevoked(() => cache.deleteWhere((token) => guard.covers(token)));
  guard?.start();

  const checkToken = accessTokenCheck({
    algorithms,
    clockToleranceSec: toleranceSec,
    maxTokenAgeSec,
    // Without `issuer` (a `jwksUri` alone), whatever issuer the key set belongs to.
    issuerMatches: (iss) => options.issuer === undefined || iss === options.issuer || (keys.discoveredIssuer !== undefined && iss === keys.discoveredIssuer),
  });

  function expectedAudience(call: VerifyCallOptions | undefined): string | readonly string[] {
    const audience = call?.audience ?? options.audience;
    if (audience === undefined || audience.length === 0) {
      throw invalidOptions("no audience to check the token against: pass audience to createVerifier or to the call");
    }
    return audience;
  }

  function reject(error: GatehouseError): never {
    counters.rejected += 1;
    throw error;
  }

  function checkAudience(token: VerifiedToken, audience: string | readonly string[]): VerifiedToken {
    if (!audienceMatches(token.audience, audience)) {
      reject(new GatehouseError("invalid_token", "the token is not meant for this audience (aud)"));
    }
    return token;
  }

  /** Epoch ms from which a token may no longer be accepted, mirroring jose's checks with the tolerance. */
  function notAfterMs(token: VerifiedToken): number {
    const byExp = (token.expiresAt + toleranceSec) * 1000;
    if (maxTokenAgeSec === undefined) return byExp;
    return Math.min(byExp, (token.issuedAt + maxTokenAgeSec + toleranceSec + 1) * 1000);
  }

  function fromCache(jwt: string, audience: string | readonly string[]): VerifiedToken | undefined {
    if (closed) reject(new GatehouseError("invalid_options", "the verifier is closed"));
    const cached = cache.get(jwt, Date.now());
    if (cached === undefined) return undefined;
    if (cached === "expired") reject(new GatehouseError("invalid_token", "the token has expired"));
    counters.hits += 1;
    return checkRevoked(checkAudience(cached, audience));
  }

  /** Every token, cached or not, is checked against the revocations (O(1)). */
  function checkRevoked(token: VerifiedToken): VerifiedToken {
    const problem = guard?.check(token);
    if (problem !== undefined) reject(problem);
    return token;
  }

  function verifySignatureAndClaims(jwt: string): Promise<VerifiedToken> {
    counters.misses += 1;
    return checkToken(jwt, keys.getKey);
  }

  return {
    verifyCached(jwt, call) {
      return fromCache(jwt, expectedAudience(call));
    },

    async verify(jwt, call) {
      const audience = expectedAudience(call);
      const cached = fromCache(jwt, audience);
      if (cached !== undefined) return cached;
      let pending = inFlight.get(jwt);
      if (pending === undefined) {
        pending = verifySignatureAndClaims(jwt).then((token) => {
          // Cached whatever the audience of this call: the next call may be for the token's own audience.
          if (!closed) cache.set(jwt, token, notAfterMs(token));
          return token;
        });
        const settled = pending;
        inFlight.set(jwt, settled);
        settled.then(
          () => inFlight.delete(jwt),
          () => inFlight.delete(jwt),
        );
      }
      let token: VerifiedToken;
      try {
        token = await pending;
      } catch (error) {
        reject(toTokenError(error));
      }
      return checkRevoked(checkAudience(token, audience));
    },

    ready() {
      return keys.ready();
    },

    health() {
      return keys.health();
    },

    get stats(): VerifierStats {
      return {
        cacheHits: counters.hits,
        cacheMisses: counters.misses,
        cacheSize: cache.size,
        cacheBytes: cache.bytes,
        rejected: counters.rejected,
        jwksRefreshes: keys.counters.refreshes,
        jwksErrors: keys.counters.errors,
        unknownKidRefetches: keys.counters.unknownKidRefetches,
        unknownKidCooldownSkips: keys.counters.unknownKidCooldownSkips,
      };
    },

    revocationStatus() {
      return guard?.status();
    },

    revocationReady(timeoutMs = 5_000) {
      return guard === undefined ? Promise.resolve(true) : guard.ready(timeoutMs);
    },

    close() {
      closed = true;
      guard?.close();
      cache.clear();
      keys.close();
    },
  };
}
