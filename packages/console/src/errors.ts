/**
 * The console's errors. Every answer it makes itself on failure is rendered from a
 * {@link ConsoleError}: a stable `code` that is also the JSON body's `error`, the HTTP `status`,
 * and headers the answer needs (`WWW-Authenticate`, RFC 6750 §3; `Allow`). Match on `code`.
 */
export const CONSOLE_ERROR_STATUS = {
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

/** An error the console answers with; `headers` are set by the one place that renders errors. */
export class ConsoleError extends Error {
  override readonly name = "ConsoleError";
  readonly code: ConsoleErrorCode;
  readonly status: number;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ConsoleErrorCode, description: string, options: { headers?: Readonly<Record<string, string>>; cause?: unknown } = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = CONSOLE_ERROR_STATUS[code];
    this.description = description;
    this.headers = options.headers ?? {};
  }
}

/** Matches a console error by shape and code, so two copies of this module still agree. */
export function isConsoleError(value: unknown): value is ConsoleError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { code?: unknown; status?: unknown; description?: unknown };
  return typeof candidate.code === "string" && Object.hasOwn(CONSOLE_ERROR_STATUS, candidate.code) && typeof candidate.status === "number" && typeof candidate.description === "string";
}
