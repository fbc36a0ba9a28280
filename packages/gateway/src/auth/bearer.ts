import { GatewayError } from "../errors.js";

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The reasons a request carries no usable bearer token. */
export type BearerProblem = "missing" | "malformed" | "duplicate" | "query";

/**
 * Finds the bearer token of a request (RFC 6750 §2.1), from the `Authorization` header only:
 * - no `Authorization`, or another scheme (e.g. `Basic`): `missing` (401 without error code,
 *   RFC 6750 §3.1);
 * - more than one `Authorization` header, counted on `rawHeaders`: `duplicate` (400);
 * - `Bearer` with an empty or non-b64token value: `malformed` (400);
 * - an `access_token` query parameter (RFC 6750 §2.3, not accepted here): `query` (400), even
 *   alongside a valid header, so a token never travels in a URL that ends up in logs; also
 *   spelled with escapes (`%61ccess_token`), in another case or with a separator that backends
 *   fold into `_` (`access.token`, `access+token`).
 */
export function findBearer(raw: readonly string[], query: string): { token: string } | { problem: BearerProblem } {
  if (query.length > 0 && hasQueryToken(query)) return { problem: "query" };
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    if (name.length !== 13 || name.toLowerCase() !== "authorization") continue;
    if (value !== undefined) return { problem: "duplicate" };
    value = raw[i + 1] ?? "";
  }
  if (value === undefined) return { problem: "missing" };
  const space = value.indexOf(" ");
  const scheme = space < 0 ? value : value.slice(0, space);
  if (scheme.length !== 6 || scheme.toLowerCase() !== "bearer") return { problem: "missing" };
  const token = value.slice(space + 1).trim();
  if (token === "" || !B64TOKEN.test(token)) return { problem: "malformed" };
  return { token };
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
 * Whether some parameter name of the query (with its `?`) reaches a backend as `access_token`.
 * Parameters are split on `&` and on `;` (older parsers split on it too); only names are read.
 */
function hasQueryToken(query: string): boolean {
  if (!MAYBE_QUERY_TOKEN.test(query)) return false;
  let start = 1;
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

const DESCRIPTIONS: Record<Exclude<BearerProblem, "missing">, string> = {
  duplicate: "the request has more than one Authorization header",
  malformed: "the Authorization header is not a valid Bearer token",
  query: "access tokens are accepted only in the Authorization header, not in the query string",
};

/** The gateway error for a {@link BearerProblem}, with its `WWW-Authenticate` challenge. */
export function bearerError(problem: BearerProblem, challenge: (error: { code: string; description: string } | undefined) => string): GatewayError {
  if (problem === "missing") {
    return new GatewayError("invalid_token", "this route requires a Bearer access token", {
      headers: { "www-authenticate": challenge(undefined) },
    });
  }
  const description = DESCRIPTIONS[problem];
  return new GatewayError("invalid_request", description, {
    headers: { "www-authenticate": challenge({ code: "invalid_request", description }) },
  });
}
