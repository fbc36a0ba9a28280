/**
 * Reading the bearer token of a request: the `Authorization` header only (RFC 6750 §2.1; query and body tokens
 * are not accepted), exactly once.
 *
 * @module
 */
import { GatehouseError } from "../errors.js";

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of a request, `undefined` when it carries no `Authorization: Bearer` credentials (no header,
 * or another scheme: RFC 6750 §3.1 says to answer those with a bare challenge). Throws `invalid_request` (400) for
 * a repeated `Authorization` header or a malformed bearer value.
 *
 * @param rawHeaders Node's `req.rawHeaders`: Node keeps only the first of repeated `Authorization` headers in
 *   `req.headers`, so repetition is detected here.
 */
export function bearerToken(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== "authorization") continue;
    if (value !== undefined) throw new GatehouseError("invalid_request", "the request has more than one Authorization header");
    value = rawHeaders[i + 1] ?? "";
  }
  if (value === undefined) return undefined;
  const space = value.indexOf(" ");
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") return undefined;
  const token = value.slice(scheme.length).trim();
  if (!B64TOKEN.test(token)) throw new GatehouseError("invalid_request", "the Authorization header is not a valid Bearer credential");
  return token;
}
