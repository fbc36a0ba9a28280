/**
 * One client credentials token request (RFC 6749 §4.4) with an RFC 8707 `resource`, through oauth4webapi, and the
 * mapping of its failures to typed errors carrying the server's OAuth error code and description (RFC 6749 §5.2).
 *
 * @module
 */
import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { transportError, transportOptions } from "../discovery.js";
import { GatehouseError } from "../errors.js";

/** A token as the cache keeps it. */
export interface IssuedToken {
  readonly accessToken: string;
  /** Lifetime in ms as the server stated it (`expires_in`), else from the token's `exp`, else 60 s. */
  readonly lifetimeMs: number;
}

/** What a token request needs. */
export interface TokenEndpoint {
  readonly metadata: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  readonly timeoutMs: number;
  /** Sends the request instead of `fetch` (a service identity's mutual TLS). */
  readonly fetch?: typeof fetch;
}

const DEFAULT_LIFETIME_MS = 60_000;

function lifetimeOf(response: oauth.TokenEndpointResponse): number {
  if (typeof response.expires_in === "number" && response.expires_in > 0) return response.expires_in * 1000;
  try {
    const { exp } = decodeJwt(response.access_token);
    if (typeof exp === "number") return Math.max(0, exp * 1000 - Date.now());
  } catch {
    // An opaque token: fall through to the default lifetime.
  }
  return DEFAULT_LIFETIME_MS;
}

/** `{ error, error_description }` of an unread JSON error response, when it is one. */
async function oauthErrorBody(response: Response): Promise<{ error: string; description: string } | undefined> {
  if (response.bodyUsed || !(response.headers.get("content-type") ?? "").includes("json")) return undefined;
  try {
    const body: unknown = await response.json();
    if (typeof body !== "object" || body === null) return undefined;
    const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
    if (typeof error !== "string" || error === "") return undefined;
    return { error, description: typeof description === "string" ? description : `the token endpoint answered ${error}` };
  } catch {
    return undefined;
  }
}

/** The `error` and `error_description` of a challenge (`WWW-Authenticate`) the token endpoint answered with. */
async function challengeError(error: oauth.WWWAuthenticateChallengeError): Promise<GatehouseError> {
  const body = await oauthErrorBody(error.response);
  const parameters = error.cause.find((challenge) => typeof challenge.parameters.error === "string")?.parameters;
  const code = body?.error ?? parameters?.error ?? "invalid_client";
  const description = body?.description ?? parameters?.error_description ?? "the token endpoint refused the client";
  return new GatehouseError(code, description, { responseStatus: error.status, cause: error });
}

/** Maps whatever a token request threw to a {@link GatehouseError}. */
async function toTokenRequestError(error: unknown, timeoutMs: number): Promise<GatehouseError> {
  if (error instanceof GatehouseError) return error;
  const transport = transportError(error, "the token request", timeoutMs);
  if (transport !== undefined) return transport;
  if (error instanceof oauth.ResponseBodyError) {
    return new GatehouseError(error.error, error.error_description ?? `the token endpoint answered ${error.error}`, {
      responseStatus: error.status,
      cause: error,
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) return challengeError(error);
  if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response) {
    // oauth4webapi reads OAuth error bodies of 4xx answers only; a 5xx may carry one too (RFC 6749 §5.2 codes
    // server_error and temporarily_unavailable exist for it).
    const status = error.cause.status;
    const body = await oauthErrorBody(error.cause);
    if (body !== undefined) return new GatehouseError(body.error, body.description, { responseStatus: status, cause: error });
    const code = status >= 500 ? "server_error" : "invalid_response";
    return new GatehouseError(code, `the token endpoint answered HTTP ${status} without an OAuth error`, {
      responseStatus: status,
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new GatehouseError("invalid_response", `the token endpoint's answer is not a valid token response: ${reason}`, {
    cause: error,
  });
}

/**
 * Asks for a token: `grant_type=client_credentials`, `resource`, and `scope` (space-separated, omitted when empty).
 * Rejects with the server's OAuth error (`invalid_scope`, `invalid_target`, `invalid_client`, ...) or a transport code.
 */
export async function requestToken(endpoint: TokenEndpoint, resource: string, scopes: readonly string[]): Promise<IssuedToken> {
  const parameters = new URLSearchParams({ resource });
  if (scopes.length > 0) parameters.set("scope", scopes.join(" "));
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      endpoint.metadata,
      endpoint.client,
      endpoint.auth,
      parameters,
      transportOptions(endpoint.timeoutMs, endpoint.fetch),
    );
    const token = await oauth.processClientCredentialsResponse(endpoint.metadata, endpoint.client, response);
    if (token.token_type !== "bearer") {
      throw new GatehouseError("invalid_response", `the token endpoint issued a ${token.token_type} token, not a bearer token`);
    }
    return { accessToken: token.access_token, lifetimeMs: lifetimeOf(token) };
  } catch (error) {
    throw await toTokenRequestError(error, endpoint.timeoutMs);
  }
}
