/**
 * The gateway's one error module. Every response the gateway itself produces (as opposed to a
 * backend's) is rendered from a {@link GatewayError}, a `BrandedError` (the SDK's one error
 * model) of the family `gateway`: a stable `code` that is also the `error` string of the JSON
 * body, the HTTP `status`, the response `headers` it needs, and an `expose` flag that decides
 * whether the description may reach the client. Match on `code` after {@link isGatewayError},
 * never on `instanceof`.
 *
 * Codes follow RFC 6750 §3.1 (`invalid_request`, `invalid_token`, `insufficient_scope`) where
 * the fault is the bearer token, and plain HTTP semantics (RFC 9110 §15) elsewhere.
 */
import { BrandedError, isBrandedError } from "@gatehouse/sdk";

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

/** The family name in the brand of every {@link GatewayError}. */
const FAMILY = "gateway";

/**
 * An error the gateway answers with. `headers` are response headers the answer needs
 * (`WWW-Authenticate`, `Retry-After`, `Allow`, rate-limit fields): the error handler sets them
 * itself, so they survive where a framework's default handler would wipe them.
 */
export class GatewayError extends BrandedError<GatewayErrorCode> {
  override readonly name = "GatewayError";

  constructor(
    code: GatewayErrorCode,
    description: string,
    options: { headers?: Readonly<Record<string, string>>; cause?: unknown; expose?: boolean } = {},
  ) {
    super(FAMILY, code, GATEWAY_ERROR_STATUS[code], description, { ...options, expose: options.expose ?? code !== "server_error" });
  }
}

/**
 * Whether `value` is a {@link GatewayError}, from this copy of the gateway or another: it must
 * carry the Gatehouse error brand of the family `gateway` and one of the gateway's codes. An
 * SDK or auth server error, or a look-alike without the brand, is not one (the responder then
 * answers a bare 500 instead of trusting its shape).
 */
export function isGatewayError(value: unknown): value is GatewayError {
  return isBrandedError(value, FAMILY) && Object.hasOwn(GATEWAY_ERROR_STATUS, value.code);
}

/** The JSON body of an error answer: `{ "error": code, "error_description": text }`. */
export function errorBody(error: GatewayError): string {
  const description = error.expose ? error.description : "the gateway could not handle this request";
  return JSON.stringify({ error: error.code, error_description: description });
}
