/**
 * The one error model of Gatehouse. Every error a Gatehouse package answers with derives from {@link BrandedError}:
 * a stable machine-readable `code`, the HTTP `status` to answer, a human `description`, the response `headers` the
 * answer needs (`WWW-Authenticate`, `Retry-After`, `Allow`) and an `expose` flag (whether `description` may reach the
 * caller).
 *
 * Each error carries a brand under `Symbol.for("gatehouse.error")` naming its family (the package that defines its
 * codes). Guards check the brand and the family, never `instanceof`: an application may load two copies of a
 * package, and the registry symbol is the same in both. An object that merely looks like an error (the right
 * properties, no brand), or an error of another family, passes no guard.
 *
 * @module
 */

/** The property every Gatehouse error carries; its value names the error's family. */
export const ERROR_BRAND: unique symbol = Symbol.for("gatehouse.error");

/** Options of the {@link BrandedError} constructor. */
export interface BrandedErrorOptions {
  /** Response headers the answer needs; none by default. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Whether `description` may be sent to the caller; by default only for statuses below 500. */
  readonly expose?: boolean;
  /** `Error.message`; by default the description. */
  readonly message?: string;
  /** The underlying error, kept for logs; never rendered to a caller. */
  readonly cause?: unknown;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The base class of every Gatehouse error. Subclasses fix the family and map their codes to statuses; see
 * `GatehouseError` (the SDK), the gateway's `GatewayError` and the auth server's `AuthServerError`.
 */
export abstract class BrandedError<Code extends string = string> extends Error {
  /** The family: which package's code list `code` belongs to. */
  readonly [ERROR_BRAND]: string;
  /** Stable and machine-readable; match on it. */
  readonly code: Code;
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Human text; sent to the caller only when `expose` is true. */
  readonly description: string;
  /** Response headers the answer needs; the responder sets them. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether `description` may be sent to the caller (false for internal faults). */
  readonly expose: boolean;

  protected constructor(family: string, code: Code, status: number, description: string, options: BrandedErrorOptions = {}) {
    super(options.message ?? description, options.cause === undefined ? undefined : { cause: options.cause });
    this[ERROR_BRAND] = family;
    this.code = code;
    this.status = status;
    this.description = description;
    this.headers = options.headers ?? NO_HEADERS;
    this.expose = options.expose ?? status < 500;
  }
}

/**
 * Whether `value` is a {@link BrandedError} of `family`, from this copy of the package or another: the brand must
 * name the family, and `code`, `status`, `description`, `headers` and `expose` must have their types, so a responder
 * can rely on every one of them.
 */
export function isBrandedError(value: unknown, family: string): value is BrandedError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<typeof ERROR_BRAND | "code" | "status" | "description" | "headers" | "expose", unknown>>;
  return (
    candidate[ERROR_BRAND] === family &&
    typeof candidate.code === "string" &&
    typeof candidate.status === "number" &&
    typeof candidate.description === "string" &&
    typeof candidate.headers === "object" &&
    candidate.headers !== null &&
    typeof candidate.expose === "boolean"
  );
}
