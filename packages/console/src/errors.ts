import { BrandedError, isBrandedError } from "@gatehouse/sdk";

/**
 * The console's errors, on the SDK's branded error model: a stable `code` that is also the JSON
 * body's `error`, the HTTP `status`, and the headers the answer needs (`WWW-Authenticate`,
 * RFC 6750 §3; `Allow`; `Retry-After`). Match on `code`, never `instanceof`.
 */
export const CONSOLE_ERROR_STATUS = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  server_error: 500,
  verification_unavailable: 503,
} as const;

/** The machine-readable code of a console error; a union that narrows in `switch`. */
export type ConsoleErrorCode = keyof typeof CONSOLE_ERROR_STATUS;

/** All codes, for documentation checks. */
export const CONSOLE_ERROR_CODES = Object.keys(CONSOLE_ERROR_STATUS) as readonly ConsoleErrorCode[];

const FAMILY = "console";

/** An error the console answers with; its headers are set by the one place that renders errors. */
export class ConsoleError extends BrandedError<ConsoleErrorCode> {
  override readonly name = "ConsoleError";

  constructor(code: ConsoleErrorCode, description: string, options: { headers?: Readonly<Record<string, string>>; cause?: unknown } = {}) {
    super(FAMILY, code, CONSOLE_ERROR_STATUS[code], description, options);
  }
}

/** Whether `value` is a console error (by brand and code, so two copies of this module agree). */
export function isConsoleError(value: unknown): value is ConsoleError {
  return isBrandedError(value, FAMILY) && Object.hasOwn(CONSOLE_ERROR_STATUS, value.code);
}
