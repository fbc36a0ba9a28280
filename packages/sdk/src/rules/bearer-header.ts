/**
 * Reading the bearer token of a request: the `Authorization` header only (RFC 6750 §2.1), exactly once. The gateway
 * and the SDK middleware both call {@link readBearerToken}; neither has its own copy.
 *
 * @module
 */
import { B64TOKEN } from "./patterns.js";

/** Why a request carries no usable bearer token. */
export type BearerProblemKind = "missing" | "malformed" | "duplicate" | "query";

/**
 * A request without a usable bearer token: what went wrong, the RFC 6750 §3.1 code and the description to answer
 * with. `missing` (no credentials) answers 401 with a bare challenge, without an error code (RFC 6750 §3.1); the
 * others answer 400 `invalid_request`.
 */
export interface BearerProblem {
  readonly problem: BearerProblemKind;
  readonly code: "invalid_token" | "invalid_request";
  readonly description: string;
}

/** The four problems, one object each (nothing is allocated per request). */
export const BEARER_PROBLEMS: Readonly<Record<BearerProblemKind, BearerProblem>> = Object.freeze({
  missing: Object.freeze({ problem: "missing", code: "invalid_token", description: "a Bearer access token is required" }),
  malformed: Object.freeze({ problem: "malformed", code: "invalid_request", description: "the Authorization header is not a valid Bearer token" }),
  duplicate: Object.freeze({ problem: "duplicate", code: "invalid_request", description: "the request has more than one Authorization header" }),
  query: Object.freeze({
    problem: "query",
    code: "invalid_request",
    description: "access tokens are accepted only in the Authorization header, not in the query string",
  }),
});

/**
 * The bearer token of a request, or the {@link BearerProblem} that stops it. It never throws.
 *
 * - no `Authorization` header, or another scheme (e.g. `Basic`): `missing`;
 * - more than one `Authorization` header, counted on `rawHeaders` (Node keeps only the first in `req.headers`):
 *   `duplicate`;
 * - `Bearer` with an empty or non-b64token value: `malformed`;
 * - an `access_token` query parameter (RFC 6750 §2.3, not accepted): `query`, even beside a valid header, so a
 *   token never travels in a URL that ends up in logs; also spelled with escapes (`%61ccess_token`), in another
 *   case or with a separator that backends fold into `_` (`access.token`, `access+token`).
 *
 * It does not verify the token: hand it to the verifier.
 *
 * @param rawHeaders Node's `req.rawHeaders`.
 * @param query The request's query string, with or without its leading `?` (empty when there is none).
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 */
export function readBearerToken(rawHeaders: readonly string[], query = ""): string | BearerProblem {
  if (query.length > 0 && hasQueryToken(query)) return BEARER_PROBLEMS.query;
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    if (value !== undefined) return BEARER_PROBLEMS.duplicate;
    value = rawHeaders[i + 1] ?? "";
  }
  if (value === undefined) return BEARER_PROBLEMS.missing;
  const space = value.indexOf(" ");
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme.length !== 6 || scheme.toLowerCase() !== "bearer") return BEARER_PROBLEMS.missing;
  const token = space < 0 ? "" : value.slice(space + 1).trim();
  if (!B64TOKEN.pattern.test(token)) return BEARER_PROBLEMS.malformed;
  return token;
}

/** The query part of a request target (`/a?b=c` → `b=c`), empty when there is none. */
export function queryOf(target: string | undefined): string {
  if (target === undefined) return "";
  const mark = target.indexOf("?");
  return mark < 0 ? "" : target.slice(mark + 1);
}

/**
 * A cheap pre-check that cannot miss: a query with a parameter name that might read as
 * `access_token` has an escape, or spells it with one of the separators some parsers fold into `_`.
 */
const MAYBE_QUERY_TOKEN = /%|access[_+. [-]token/i;
/** Separators that PHP (space, `.`, `[`) or `_`/`-` folding turn into `_` in a parameter name. */
const NAME_SEPARATORS = /[ .[-]/g;
/** `access_token`'s length: no spelling of it is shorter. */
const MIN_NAME_LENGTH = 12;

/**
 * Whether some parameter name of the query reaches a backend as `access_token`: also spelled with
 * escapes (`%61ccess_token`), in another case or with a separator that backends fold into `_`
 * (`access.token`, `access+token`). Parameters are split on `&` and on `;` (older parsers split on
 * it too); only names are read.
 */
function hasQueryToken(query: string): boolean {
  if (!MAYBE_QUERY_TOKEN.test(query)) return false;
  let start = query.startsWith("?") ? 1 : 0;
  while (start < query.length) {
    let end = start;
    let nameEnd = -1;
    for (; end < query.length; end++) {
      const c = query.charCodeAt(end);
      if (c === 0x26 || c === 0x3b) break;
      if (c === 0x3d && nameEnd < 0) nameEnd = end;
    }
    if (nameEnd < 0) nameEnd = end;
    if (nameEnd - start >= MIN_NAME_LENGTH && readsAsAccessToken(query.slice(start, nameEnd))) return true;
    start = end + 1;
  }
  return false;
}

/**
 * A raw parameter name read as backends read it: percent-decoded with `+` as space (as
 * URLSearchParams and every form parser do), leading spaces dropped, case ignored, and space,
 * `.`, `[` and `-` as `_`.
 */
function readsAsAccessToken(rawName: string): boolean {
  for (const name of new URLSearchParams(rawName).keys()) {
    return name.trimStart().toLowerCase().replace(NAME_SEPARATORS, "_") === "access_token";
  }
  return false;
}
