/**
 * Authorization server metadata discovery (RFC 8414, falling back to OpenID Connect Discovery), through oauth4webapi.
 *
 * @module
 */
import * as oauth from "oauth4webapi";
import { GatehouseError } from "./errors.js";

/**
 * oauth4webapi options that let it talk to the issuer the operator configured. Gatehouse issuers inside a cluster
 * are often plain `http://` (e.g. `http://127.0.0.1:4000`); the URL comes from configuration, never from a peer.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- oauth4webapi's supported switch for http:// issuers
const allowHttp: typeof oauth.allowInsecureRequests = oauth.allowInsecureRequests;

export function transportOptions(timeoutMs: number): { signal: () => AbortSignal; [allowHttp]: boolean } {
  return { signal: () => AbortSignal.timeout(timeoutMs), [allowHttp]: true };
}

/** Parses a configured URL or throws `invalid_options` naming the option. */
export function parseUrl(value: string, option: string): URL {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new GatehouseError("invalid_options", `${option} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

/** Whether an error is a timeout or abort raised by `AbortSignal.timeout`. */
export function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/**
 * Fetches and validates the issuer's metadata: `/.well-known/oauth-authorization-server` first (RFC 8414 §3),
 * then `/.well-known/openid-configuration`. The `issuer` in the document must equal the configured one
 * (RFC 8414 §3.3). Rejects with `discovery_failed` (or `timeout`).
 */
export async function discover(issuer: URL, timeoutMs: number): Promise<oauth.AuthorizationServer> {
  let firstError: unknown;
  for (const algorithm of ["oauth2", "oidc"] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, { ...transportOptions(timeoutMs), algorithm });
      return await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      firstError ??= error;
      if (isTimeout(error)) break;
    }
  }
  if (isTimeout(firstError)) {
    throw new GatehouseError("timeout", `metadata discovery at ${issuer.href} timed out after ${timeoutMs} ms`, {
      status: 503,
      cause: firstError,
    });
  }
  const reason = firstError instanceof Error ? firstError.message : String(firstError);
  throw new GatehouseError("discovery_failed", `metadata discovery at ${issuer.href} failed: ${reason}`, {
    cause: firstError,
  });
}
