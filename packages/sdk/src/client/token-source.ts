/**
 * The client side: {@link createTokenSource} gets tokens for calling other services.
 *
 * @module
 */
import type * as oauth from "oauth4webapi";
import { discover, parseUrl } from "../discovery.js";
import { GatehouseError } from "../errors.js";
import { SCOPE_TOKEN } from "../rules/patterns.js";
import { fetchTrusting } from "../identity/trust-bundle.js";
import { authFetch } from "./auth-fetch.js";
import { clientAuthentication } from "./client-auth.js";
import { retryPolicy, withRetry } from "./retry.js";
import { TokenCache } from "./token-cache.js";
import { requestToken, type TokenEndpoint } from "./token-endpoint.js";
import type { TokenRequest, TokenSource, TokenSourceOptions, TokenSourceStats } from "./types.js";

function nonNegative(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value >= 0)) throw new GatehouseError("invalid_options", `${name} must be a non-negative number`);
  return value;
}

function checkRequest(request: TokenRequest): readonly string[] {
  parseUrl(request.resource, "resource");
  const scopes = request.scopes ?? [];
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.pattern.test(scope)) {
      throw new GatehouseError("invalid_options", `scope ${JSON.stringify(scope)} is not a valid scope token`);
    }
  }
  return scopes;
}

/**
 * Creates a token source for the service `clientId` at the auth server `issuer`.
 *
 * - Discovery (RFC 8414) on first use, through oauth4webapi; then the client credentials grant (RFC 6749 §4.4)
 *   with one `resource` (RFC 8707) and `scope` per request, authenticated with `private_key_jwt` (RFC 7523) or a
 *   client secret.
 * - Tokens cached per (resource, sorted scopes) until `minValiditySec` before expiry, refreshed in the background
 *   `refreshAheadSec` before it; concurrent callers share one request.
 * - Network errors, timeouts and 5xx answers retried with exponential backoff and full jitter; 4xx answers never.
 * - With `identity`, every request (discovery, tokens, `authFetch`) goes over mutual TLS with the service's
 *   certificate: tokens come back bound to it (RFC 8705 §3) and the target sees the same certificate. When the
 *   identity renews its certificate the cached tokens are dropped, so no call presents a token bound to the old one.
 *
 * It does not verify the tokens it receives (they are for the target to verify) and keeps no refresh tokens
 * (client credentials issues none). Throws `invalid_options` for an unusable configuration.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const issuer = parseUrl(options.issuer, "issuer");
  if (typeof options.clientId !== "string" || options.clientId === "") {
    throw new GatehouseError("invalid_options", "clientId must be a non-empty string");
  }
  const timeoutMs = nonNegative(options.timeoutMs, "timeoutMs", 5000);
  const policy = retryPolicy(options.retry);
  const cache = new TokenCache(nonNegative(options.cacheSize, "cacheSize", 1000), {
    refreshAheadMs: nonNegative(options.refreshAheadSec, "refreshAheadSec", 60) * 1000,
    minValidityMs: nonNegative(options.minValiditySec, "minValiditySec", 10) * 1000,
  });
  const client: oauth.Client = { client_id: options.clientId };
  const identity = options.identity;
  const auth = clientAuthentication(options.auth);
  // Discovery, token requests and authFetch: the identity's transport (it presents the certificate), else one
  // trusting `trustBundle` (an HTTPS issuer or target under the Gatehouse CA, e.g. the revocation feed), else fetch.
  const send = identity?.fetch ?? (options.trustBundle === undefined ? undefined : fetchTrusting(options.trustBundle));
  // Reported once, on first use, not as an unhandled rejection.
  auth.catch(() => undefined);
  const counters = { tokenRequests: 0, failures: 0 };
  let endpoint: Promise<TokenEndpoint> | undefined;
  let closed = false;
  // A token bound to a certificate (RFC 8705) is refused with any other: once the identity holds a new certificate,
  // the cached tokens are dropped and the next call gets one bound to it. A trust bundle change alone keeps them.
  let boundTo: string | undefined;
  const unsubscribe = identity?.onRotate((tls) => {
    if (tls.cert === boundTo) return;
    boundTo = tls.cert;
    cache.clear();
  });
  const isOpen = (): boolean => !closed;

  function tokenEndpoint(): Promise<TokenEndpoint> {
    if (endpoint === undefined) {
      const discovering = (async () => {
        const authentication = await auth;
        await identity?.ready();
        const metadata = await withRetry(policy, () => discover(issuer, timeoutMs, send), isOpen);
        return send === undefined ? { metadata, client, auth: authentication, timeoutMs } : { metadata, client, auth: authentication, timeoutMs, fetch: send };
      })();
      // A failed discovery is not remembered: the next call tries again.
      discovering.catch(() => {
        if (endpoint === discovering) endpoint = undefined;
      });
      endpoint = discovering;
    }
    return endpoint;
  }

  async function fetchToken(resource: string, scopes: readonly string[]) {
    const target = await tokenEndpoint();
    if (identity !== undefined) boundTo = identity.tlsOptions().cert;
    try {
      return await withRetry(
        policy,
        () => {
          counters.tokenRequests += 1;
          return requestToken(target, resource, scopes);
        },
        isOpen,
      );
    } catch (error) {
      counters.failures += 1;
      throw error;
    }
  }

  function assertOpen(): void {
    if (closed) throw new GatehouseError("invalid_options", "the token source is closed");
  }

  async function getToken(request: TokenRequest): Promise<string> {
    assertOpen();
    const scopes = checkRequest(request);
    return cache.get(TokenCache.key(request.resource, scopes), () => fetchToken(request.resource, scopes));
  }

  const provider = {
    ...(send === undefined ? {} : { fetch: send }),
    getToken,
    invalidate(request: TokenRequest, token: string) {
      cache.invalidate(TokenCache.key(request.resource, request.scopes ?? []), token);
    },
  };

  return {
    getToken,
    authFetch(input, init) {
      return authFetch(provider, input, init);
    },
    get stats(): TokenSourceStats {
      return {
        tokenRequests: counters.tokenRequests,
        cacheHits: cache.hits,
        refreshesAhead: cache.refreshesAhead,
        failures: counters.failures,
      };
    },
    close() {
      closed = true;
      unsubscribe?.();
      cache.clear();
    },
  };
}
