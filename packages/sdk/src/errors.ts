/**
 * The one error type of `@gatehouse/sdk`.
 *
 * Every error the SDK throws or rejects with is a {@link GatehouseError}, a `BrandedError` of the family `sdk`,
 * carrying a stable machine-readable `code`, the HTTP `status` a service should answer when the error escapes to its
 * caller, an `expose` flag (whether `description` is safe to send to that caller), a human `description` and
 * `headers` (none). Match on `code` after {@link isGatehouseError}, never with `instanceof`: an application may load
 * two copies of the SDK.
 *
 * @module
 */
import { BrandedError, isBrandedError } from "./branded-error.js";

/**
 * Codes the SDK produces itself, and the OAuth 2.0 error codes the Gatehouse auth server is known to answer.
 * The README's Errors table lists exactly these.
 */
export const GATEHOUSE_ERROR_CODES = [
  // RFC 6750 §3.1: what a resource server answers.
  "invalid_token",
  "insufficient_scope",
  "invalid_request",
  // RFC 6749 §5.2 and RFC 8707 §2: what the token endpoint answers.
  "invalid_client",
  "invalid_grant",
  "invalid_scope",
  "invalid_target",
  "unauthorized_client",
  "unsupported_grant_type",
  "server_error",
  "temporarily_unavailable",
  // Transport and local failures.
  "network_error",
  "timeout",
  "jwks_unavailable",
  "discovery_failed",
  "invalid_response",
  "invalid_options",
  "revocation_unavailable",
] as const;

/** A code of {@link GATEHOUSE_ERROR_CODES}. */
export type KnownGatehouseErrorCode = (typeof GATEHOUSE_ERROR_CODES)[number];

/**
 * The `code` of a {@link GatehouseError}: a known code, or any other OAuth error code an authorization server
 * answered (RFC 6749 §5.2 lets servers define their own), passed through unchanged.
 */
// `string & {}` keeps the literal members visible to editors and to `switch` narrowing.
export type GatehouseErrorCode = KnownGatehouseErrorCode | (string & {});

/** The HTTP status a service answers for each known code when the error escapes to its own caller. */
const STATUS: Readonly<Record<KnownGatehouseErrorCode, number>> = {
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_request: 400,
  // A token request failed: the calling service could not reach its dependency with a valid credential.
  invalid_client: 502,
  invalid_grant: 502,
  invalid_scope: 502,
  invalid_target: 502,
  unauthorized_client: 502,
  unsupported_grant_type: 502,
  server_error: 502,
  temporarily_unavailable: 503,
  network_error: 503,
  timeout: 503,
  jwks_unavailable: 503,
  discovery_failed: 503,
  invalid_response: 502,
  invalid_options: 500,
  revocation_unavailable: 503,
};

/** Codes whose description is written for the caller of a resource server (RFC 6750 `error_description`). */
const EXPOSED: ReadonlySet<string> = new Set(["invalid_token", "insufficient_scope", "invalid_request"]);

/** The family name in the brand of every {@link GatehouseError}. */
const FAMILY = "sdk";

/** Options of the {@link GatehouseError} constructor. */
export interface GatehouseErrorOptions {
  /** Overrides the status derived from the code. */
  readonly status?: number;
  /** The HTTP status of the authorization server's response, when the error came from one. */
  readonly responseStatus?: number;
  /** The underlying error, kept for logs; never rendered to a caller. */
  readonly cause?: unknown;
}

/**
 * The base class of every SDK error.
 *
 * - `code`: stable and machine-readable; see {@link GATEHOUSE_ERROR_CODES}.
 * - `status`: what a resource server or a calling service should answer (401, 403, 400, 502, 503, 500).
 * - `expose`: whether `description` may be sent to the caller (true for the RFC 6750 codes only).
 * - `description`: human text; for token endpoint errors it is the server's `error_description`.
 * - `headers`: none; the middleware renders the `WWW-Authenticate` challenge itself.
 * - `responseStatus`: the authorization server's HTTP status, when it answered.
 */
export class GatehouseError extends BrandedError<GatehouseErrorCode> {
  override readonly name = "GatehouseError";
  readonly responseStatus: number | undefined;

  constructor(code: GatehouseErrorCode, description: string, options: GatehouseErrorOptions = {}) {
    super(FAMILY, code, options.status ?? (STATUS as Partial<Record<string, number>>)[code] ?? 502, description, {
      expose: EXPOSED.has(code),
      message: `${code}: ${description}`,
      cause: options.cause,
    });
    this.responseStatus = options.responseStatus;
  }

  /** The JSON body a resource server answers: `{ error, error_description }` (RFC 6750 §3, RFC 6749 §5.2). */
  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.expose ? this.description : "the request could not be completed" };
  }
}

/**
 * Whether `value` is a {@link GatehouseError}, from this copy of the SDK or another: it must carry the Gatehouse
 * error brand of the family `sdk` (see `BrandedError`). Errors of the gateway or the auth server, and look-alikes
 * without the brand, do not pass.
 */
export function isGatehouseError(value: unknown): value is GatehouseError {
  return isBrandedError(value, FAMILY);
}

/** Options of {@link wwwAuthenticate}. */
export interface WwwAuthenticateOptions {
  /** The protection space (RFC 7235 §2.2), e.g. the gateway route or the service name. */
  readonly realm?: string;
  /** The scopes the resource requires (RFC 6750 §3), rendered space-separated. */
  readonly scope?: string | readonly string[];
}

/** RFC 6750 §3: `error`, `error_description` and `scope` values exclude `"` and `\` and control characters. */
function quoted(value: string): string {
  // %x20-21 / %x23-5B / %x5D-7E: anything else becomes a space.
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, " ")}"`;
}

/**
 * Renders the value of a `WWW-Authenticate` response header per RFC 6750 §3:
 * `Bearer realm="api", error="invalid_token", error_description="the token has expired"`.
 *
 * - `error` undefined: the request carried no credentials (RFC 6750 §3.1 says to send no error code then), so only
 *   `realm` and `scope` are rendered.
 * - `invalid_token`, `insufficient_scope`, `invalid_request`: rendered with `error` and `error_description`.
 * - Any other code (e.g. `jwks_unavailable`: the server cannot verify now): no error code is rendered, since
 *   RFC 6750 defines none for it and the status (503) is not an authentication challenge.
 *
 * The gateway and the SDK middleware both use this one implementation.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function wwwAuthenticate(
  error: Pick<GatehouseError, "code" | "description"> | undefined,
  options: WwwAuthenticateOptions = {},
): string {
  const params: string[] = [];
  if (options.realm !== undefined) params.push(`realm=${quoted(options.realm)}`);
  if (error !== undefined && EXPOSED.has(error.code)) {
    params.push(`error=${quoted(error.code)}`);
    if (error.description !== "") params.push(`error_description=${quoted(error.description)}`);
  }
  const scope = typeof options.scope === "string" ? options.scope : options.scope?.join(" ");
  if (scope !== undefined && scope !== "") params.push(`scope=${quoted(scope)}`);
  return params.length === 0 ? "Bearer" : `Bearer ${params.join(", ")}`;
}
