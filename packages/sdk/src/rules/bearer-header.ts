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
 *   token never travels in a URL that ends up in logs.
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

function hasQueryToken(query: string): boolean {
  if (!/access(_|%5f)token/i.test(query)) return false;
  for (const name of new URLSearchParams(query).keys()) if (name === "access_token") return true;
  return false;
}
