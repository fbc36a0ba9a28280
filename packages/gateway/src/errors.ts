/**
 * The gateway's one error module. Every response the gateway itself produces (as opposed to a
 * backend's) is rendered from a {@link GatewayError}: a stable `code` that is also the `error`
 * string of the JSON body, the HTTP `status`, and an `expose` flag that decides whether the
 * description may reach the client. Match on `code`, never on `instanceof`.
 *
 * Codes follow RFC 6750 §3.1 (`invalid_request`, `invalid_token`, `insufficient_scope`) where
 * the fault is the bearer token, and plain HTTP semantics (RFC 9110 §15) elsewhere.
 */

/** Every code the gateway answers with, and the status it maps to. */
export const GATEWAY_ERROR_STATUS = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  rate_limited: 429,
  server_error: 500,
  bad_gateway: 502,
  rate_limit_unavailable: 503,
  verification_unavailable: 503,
  gateway_timeout: 504,
} as const;

/** The machine-readable code of a gateway error; a union that narrows in `switch`. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_STATUS;

/** All codes, for documentation checks. */
export const GATEWAY_ERROR_CODES = Object.keys(GATEWAY_ERROR_STATUS) as readonly GatewayErrorCode[];

/**
 * An error the gateway answers with. `headers` are response headers the answer needs
 * (`WWW-Authenticate`, `Retry-After`, `Allow`, rate-limit fields): the error handler sets them
 * itself, so they survive where a framework's default handler would wipe them.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: GatewayErrorCode;
  readonly status: number;
  /** Whether `description` may be shown to the client (false for internal faults). */
  readonly expose: boolean;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    description: string,
    options: { headers?: Readonly<Record<string, string>>; cause?: unknown; expose?: boolean } = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = GATEWAY_ERROR_STATUS[code];
    this.expose = options.expose ?? code !== "server_error";
    this.description = description;
    this.headers = options.headers ?? {};
  }
}

/** Matches a gateway error by shape and code, so two copies of this module still agree. */
export function isGatewayError(value: unknown): value is GatewayError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { code?: unknown; status?: unknown; description?: unknown };
  return (
    typeof candidate.code === "string" &&
    Object.hasOwn(GATEWAY_ERROR_STATUS, candidate.code) &&
    typeof candidate.status === "number" &&
    typeof candidate.description === "string"
  );
}

/** The JSON body of an error answer: `{ "error": code, "error_description": text }`. */
export function errorBody(error: GatewayError): string {
  const description = error.expose ? error.description : "the gateway could not handle this request";
  return JSON.stringify({ error: error.code, error_description: description });
}
