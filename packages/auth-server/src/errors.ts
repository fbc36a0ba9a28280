/**
 * The one errors module of the auth server. Every error a caller can see is an
 * {@link AuthServerError}, a `BrandedError` (the SDK's one error model) of the family
 * `auth-server`: a stable `code`, the HTTP `status` it is answered with, the RFC 6749 §5.2
 * `error` string put on the wire, the response `headers` it needs, and an `expose` flag: when
 * false the description is replaced by a generic one (never internals).
 *
 * Match on `code` after {@link isAuthServerError}, not on `instanceof`.
 */
import { BrandedError, isBrandedError } from "@gatehouse/sdk";

/** Every code this package defines, with what it means and how to fix it (the README table). */
export const ERROR_CODES = {
  invalid_config: {
    when: "start",
    status: 500,
    error: "server_error",
    meaning: "a config file, key file or start flag cannot be used; the message names the file and dotted path",
    fix: "correct the value named in the message",
  },
  missing_secret: {
    when: "start",
    status: 500,
    error: "server_error",
    meaning: "a service's `secretEnv` variable is unset or its `secretFile` cannot be read",
    fix: "set the variable or create the file named in the message",
  },
  invalid_key_file: {
    when: "start",
    status: 500,
    error: "server_error",
    meaning: "the signing key file is not a private JWKS with at least one usable ES256 key",
    fix: "regenerate it with `gatehouse-auth keys generate`",
  },
  invalid_ca_file: {
    when: "start",
    status: 500,
    error: "server_error",
    meaning: "the CA file, or `ca.certFile`/`ca.keyFile`, is not a CA certificate with its private key (or no authority signs now)",
    fix: "regenerate it with `gatehouse-auth ca generate`, or give a CA certificate and its own key",
  },
  invalid_start_flag: {
    when: "start",
    status: 500,
    error: "server_error",
    meaning: "an unknown flag, a bad `--port`/`--workers`/`REDIS_URL` value, or `--workers` above 1 without `REDIS_URL`",
    fix: "use a documented flag with a valid value; set `REDIS_URL` for several workers",
  },
  not_found: {
    when: "http",
    status: 404,
    error: "not_found",
    meaning: "no endpoint at this path (only the token, JWKS, discovery, health and enabled admin endpoints exist)",
    fix: "use a documented endpoint",
  },
  method_not_allowed: {
    when: "http",
    status: 405,
    error: "invalid_request",
    meaning: "the endpoint exists but not for this method; `Allow` lists the methods it takes",
    fix: "use a method from the `Allow` header",
  },
  body_too_large: {
    when: "http",
    status: 413,
    error: "invalid_request",
    meaning: "the request body is larger than `http.bodyLimitBytes`",
    fix: "send a smaller body",
  },
  invalid_certificate_request: {
    when: "http",
    status: 400,
    error: "invalid_request",
    meaning: "a certificate endpoint body that is neither `application/pkcs10` (base64 DER) nor a form with `csr`, or a form whose `grant_type` is another grant",
    fix: "POST the CSR as `application/pkcs10` with HTTP Basic or a client certificate, or as form field `csr` beside `client_assertion`",
  },
  certificate_unauthenticated: {
    when: "http",
    status: 401,
    error: "invalid_client",
    meaning: "a certificate request without any client authentication (no HTTP Basic, no `client_assertion`, no client certificate)",
    fix: "authenticate as for the token endpoint: HTTP Basic, a client assertion, or the service's current certificate over mTLS",
  },
  too_many_failures: {
    when: "http",
    status: 429,
    error: "temporarily_unavailable",
    meaning: "too many failed authentications of this client from this address (or of unknown clients, or of the admin API, from this address); `Retry-After` says when to retry",
    fix: "fix the client's credentials and wait for the `Retry-After` seconds",
  },
  issuance_limited: {
    when: "http",
    status: 429,
    error: "temporarily_unavailable",
    meaning: "the client got more tokens for this resource than `issuance.perSecond` / `issuance.burst` allow; `Retry-After` says when to retry",
    fix: "cache tokens until shortly before they expire (the SDK does) instead of asking for one per call",
  },
  admin_unauthorized: {
    when: "http",
    status: 401,
    error: "invalid_token",
    meaning: "an admin API call without the admin bearer credential or an admin token, or with a wrong, expired or foreign one",
    fix: "send `Authorization: Bearer <value of the admin token variable>` or a fresh token for `admin.audience`",
  },
  admin_forbidden: {
    when: "http",
    status: 403,
    error: "insufficient_scope",
    meaning: "a valid Gatehouse token for the admin API without the admin scope",
    fix: "request a token with `admin.scope` (the caller needs it under `allow`)",
  },
  admin_bad_request: {
    when: "http",
    status: 400,
    error: "invalid_request",
    meaning: "an admin API call with two `Authorization` headers, a malformed `Bearer` value, or an `access_token` query parameter",
    fix: "send one `Authorization: Bearer …` header and no credential in the URL",
  },
  service_not_found: {
    when: "http",
    status: 404,
    error: "not_found",
    meaning: "the admin API has no service with this id",
    fix: "list the services and use an existing id",
  },
  service_exists: {
    when: "http",
    status: 409,
    error: "conflict",
    meaning: "the admin API was asked to create a service whose id is taken",
    fix: "update the service instead, or choose another id",
  },
  invalid_service: {
    when: "http",
    status: 400,
    error: "invalid_request",
    meaning: "an admin API body is not valid JSON or violates the service schema; the description names the path",
    fix: "correct the field named in the description",
  },
  invalid_revocation: {
    when: "http",
    status: 400,
    error: "invalid_request",
    meaning: "a `POST /admin/revocations` body is not exactly one of `jti`, `service`, `kid`, is malformed, or names an unknown service or key",
    fix: "send one of `{ \"jti\": … }`, `{ \"service\": id }`, `{ \"kid\": … }` naming an existing service or loaded key",
  },
  service_unavailable: {
    when: "http",
    status: 503,
    error: "temporarily_unavailable",
    meaning: "the server is starting, stopping, or a backing store (Redis) does not answer",
    fix: "retry; check `/readyz` and Redis",
  },
  server_error: {
    when: "http",
    status: 500,
    error: "server_error",
    meaning: "an unexpected failure; details are in the server log, never in the response",
    fix: "read the log line with the same request time",
  },
} as const satisfies Record<string, { when: "start" | "http"; status: number; error: string; meaning: string; fix: string }>;

/** A stable machine-readable error code of this package. */
export type AuthServerErrorCode = keyof typeof ERROR_CODES;

/**
 * The OAuth 2.0 errors the token endpoint answers with (rendered by oidc-provider, RFC 6749 §5.2,
 * RFC 8707 §2 for `invalid_target`), documented alongside this package's own codes.
 */
export const OAUTH_ERRORS = {
  invalid_request: { status: 400, meaning: "a required parameter is missing, repeated or malformed (e.g. no `resource`); at the certificate endpoint: a malformed or badly signed CSR, a weak key (RSA < 2048 bits, a curve other than P-256/P-384) or SANs naming another service", fix: "send `grant_type=client_credentials`, one `resource` and `scope`" },
  invalid_client: {
    status: 401,
    meaning: "client authentication failed: unknown or disabled client, wrong secret, bad, expired, replayed or wrongly addressed assertion, or an assertion valid for longer than `tokens.clientAssertionMaxLifetimeSeconds` (default 300 s; the audit line's `reason` says which)",
    fix: "check the client id, its secret or key, and that each assertion has a fresh `jti` and `aud` = issuer or token endpoint; sign assertions whose `exp` is at most `tokens.clientAssertionMaxLifetimeSeconds` ahead (Authlib's `PrivateKeyJWT` signs for 3600 s: override its `sign` to pass `expires_in=300` to `private_key_jwt_sign`), or raise that setting, up to 3600",
  },
  invalid_scope: { status: 400, meaning: "a requested scope is not allowed for this caller at this target (never silently narrowed), or no scope was requested", fix: "request only scopes listed under the caller's `allow.<target>`" },
  invalid_target: { status: 400, meaning: "the `resource` is unknown, disabled, not allowed for this caller, or more than one was sent", fix: "send exactly one registered resource URI the caller is allowed to call" },
  unsupported_grant_type: { status: 400, meaning: "a grant type other than `client_credentials`", fix: "use `grant_type=client_credentials`" },
} as const satisfies Record<string, { status: number; meaning: string; fix: string }>;

/** The family name in the brand of every {@link AuthServerError}. */
const FAMILY = "auth-server";

/** Options of the {@link AuthServerError} constructor. */
export interface AuthServerErrorOptions {
  /** The underlying error, kept for logs; never rendered to a caller. */
  readonly cause?: unknown;
  /** Response headers the answer needs (`Allow`, `Retry-After`, `WWW-Authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Base class of every error this package throws on purpose. `message` is the description: it
 * reaches the caller only when `expose` (statuses below 500).
 */
export class AuthServerError extends BrandedError<AuthServerErrorCode> {
  override readonly name = "AuthServerError";
  /** The RFC 6749 §5.2 style `error` value sent to the caller. */
  readonly error: string;

  constructor(code: AuthServerErrorCode, message: string, options: AuthServerErrorOptions = {}) {
    const spec = ERROR_CODES[code];
    super(FAMILY, code, spec.status, message, options);
    this.error = spec.error;
  }

  /** The JSON body a caller sees: `{ error, error_description }`, generic for unexposed errors. */
  toBody(): { error: string; error_description: string } {
    return this.expose
      ? { error: this.error, error_description: this.description }
      : { error: this.error, error_description: "the server could not complete the request" };
  }
}

/**
 * True for any {@link AuthServerError}, even one from another copy of this package: it must carry
 * the Gatehouse error brand of the family `auth-server` and one of this package's codes. An SDK or
 * gateway error, or a look-alike without the brand, is not one.
 */
export function isAuthServerError(value: unknown): value is AuthServerError {
  return isBrandedError(value, FAMILY) && Object.hasOwn(ERROR_CODES, value.code) && typeof (value as { error?: unknown }).error === "string";
}
