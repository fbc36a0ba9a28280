/**
 * Authorization server metadata discovery (RFC 8414, falling back to OpenID Connect Discovery), through oauth4webapi.
 *
 * @module
 */
import * as oauth from "oauth4webapi";
import { GatehouseError } from "./errors.js";

// eslint-disable-next-line @typescript-eslint/no-deprecated -- oauth4webapi's supported switch for http:// issuers
const allowHttp: typeof oauth.allowInsecureRequests = oauth.allowInsecureRequests;

/**
 * oauth4webapi options that let it talk to the issuer the operator configured, with a timeout per request.
 * Gatehouse issuers inside a cluster are often plain `http://` (e.g. `http://127.0.0.1:4000`); the URL comes from
 * configuration, never from a peer. `fetchImpl`, when given, sends the requests (mutual TLS with a service identity).
 */
export function transportOptions(
  timeoutMs: number,
  fetchImpl?: typeof fetch,
): { signal: () => AbortSignal; [allowHttp]: boolean; [oauth.customFetch]?: CustomFetch } {
  const options = { signal: () => AbortSignal.timeout(timeoutMs), [allowHttp]: true };
  if (fetchImpl === undefined) return options;
  const send: CustomFetch = (url, init) => {
    const body = init.body as RequestInit["body"];
    return fetchImpl(url, {
      method: init.method,
      headers: init.headers,
      redirect: init.redirect,
      ...(body === undefined ? {} : { body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
  };
  return { ...options, [oauth.customFetch]: send };
}

/** oauth4webapi's `customFetch` for any of its requests. */
type CustomFetch = (url: string, options: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;

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

/** The HTTP status of the response an oauth4webapi processing error is about, when it carries one. */
function responseStatusOf(error: unknown): number | undefined {
  if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response) return error.cause.status;
  if (error instanceof oauth.ResponseBodyError) return error.status;
  return undefined;
}

/** Maps a request that got no answer to `timeout` or `network_error`; `undefined` when the server did answer. */
export function transportError(error: unknown, what: string, timeoutMs: number): GatehouseError | undefined {
  if (isTimeout(error)) {
    return new GatehouseError("timeout", `${what} timed out after ${timeoutMs} ms`, { cause: error });
  }
  if (error instanceof TypeError && error.message === "fetch failed") {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return new GatehouseError("network_error", `${what} failed${cause}`, { cause: error });
  }
  return undefined;
}

/**
 * Fetches and validates the issuer's metadata: `/.well-known/oauth-authorization-server` first (RFC 8414 §3),
 * then `/.well-known/openid-configuration` when the first is not answered with 200. The `issuer` in the document
 * must equal the configured one (RFC 8414 §3.3). Rejects with `discovery_failed` (carrying the HTTP status when
 * the server answered), `network_error` or `timeout`. `fetchImpl` replaces `fetch` (a service identity's TLS).
 */
export async function discover(issuer: URL, timeoutMs: number, fetchImpl?: typeof fetch): Promise<oauth.AuthorizationServer> {
  const what = `metadata discovery at ${issuer.href}`;
  let firstError: unknown;
  for (const algorithm of ["oauth2", "oidc"] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, { ...transportOptions(timeoutMs, fetchImpl), algorithm });
      return await oauth.processDiscoveryResponse(issuer, response);
    } catch (error) {
      const transport = transportError(error, what, timeoutMs);
      if (transport !== undefined) throw transport;
      firstError ??= error;
      if (responseStatusOf(error) === undefined) break;
    }
  }
  const reason = firstError instanceof Error ? firstError.message : String(firstError);
  const responseStatus = responseStatusOf(firstError);
  throw new GatehouseError("discovery_failed", `${what} failed: ${reason}`, {
    cause: firstError,
    ...(responseStatus === undefined ? {} : { responseStatus }),
  });
}
