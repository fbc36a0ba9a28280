import { isUtf8 } from "node:buffer";
import { GatewayError } from "../errors.js";

/** A request target split into the canonical path and the untouched query (with its `?`). */
export interface CanonicalTarget {
  readonly path: string;
  readonly query: string;
}

const HEX = "0123456789ABCDEF";

/**
 * Turns a raw request target (`req.url`) into the one path string that is both matched against
 * the route table and forwarded to the backend, so what policy authorizes is byte for byte what
 * the backend receives (docs/architecture.md, "Canonical path").
 *
 * Normalized (RFC 3986 §6.2.2): percent-encoded unreserved characters are decoded (`%41` → `A`,
 * `%7E` → `~`) and the hex digits of every other escape are upper-cased (`%c3%a9` → `%C3%A9`).
 *
 * Rejected with 400 `invalid_request`, because backends disagree on what they mean:
 * anything but origin-form (`http://…`, `*`); encoded `/` or `\` (`%2F`, `%5C`); a raw backslash;
 * `;` path parameters, raw or encoded (`%3B`); empty segments (`//`); dot segments `.` and `..`,
 * also when spelled `%2e`; NUL and other control characters, raw or encoded; raw non-ASCII or
 * space; `#`; a `%` not followed by two hex digits; escapes that decode to invalid UTF-8
 * (including overlong forms such as `%C0%AE`).
 *
 * Deliberately not done here: letter case is left as sent (the route table refuses paths that
 * match a route only when case is ignored), and the query string is not rewritten.
 */
export function canonicalizeTarget(target: string): CanonicalTarget {
  if (target.charCodeAt(0) !== 0x2f) throw reject("the request target must be an absolute path");
  const q = target.indexOf("?");
  const raw = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? "" : target.slice(q);
  let escapes = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw reject("the path contains a control, space or non-ASCII character");
    if (c === 0x5c) throw reject("the path contains a backslash");
    if (c === 0x3b) throw reject("the path contains a ';' parameter");
    if (c === 0x23) throw reject("the path contains '#'");
    if (c === 0x25) escapes = true;
  }
  const path = escapes ? decodeEscapes(raw) : raw;
  checkSegments(path);
  return { path, query };
}

function decodeEscapes(raw: string): string {
  let out = "";
  let nonAscii = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x25) {
      out += raw.charAt(i);
      continue;
    }
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) throw reject("the path contains a '%' that is not followed by two hex digits");
    const byte = hi * 16 + lo;
    i += 2;
    if (byte === 0x2f) throw reject("the path contains an encoded '/' (%2F)");
    if (byte === 0x5c) throw reject("the path contains an encoded backslash (%5C)");
    if (byte === 0x3b) throw reject("the path contains an encoded ';' (%3B)");
    if (byte < 0x20 || byte === 0x7f) throw reject("the path contains an encoded control character");
    if (isUnreserved(byte)) {
      out += String.fromCharCode(byte);
      continue;
    }
    out += `%${HEX[hi] ?? ""}${HEX[lo] ?? ""}`;
    if (byte >= 0x80) nonAscii = true;
  }
  if (nonAscii && !validUtf8Escapes(out)) throw reject("the path's percent-encoding is not valid UTF-8");
  return out;
}

/** Checks that the escapes, decoded in place with the literal characters, form valid UTF-8. */
function validUtf8Escapes(path: string): boolean {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) === 0x25) {
      bytes.push(hexValue(path.charCodeAt(i + 1)) * 16 + hexValue(path.charCodeAt(i + 2)));
      i += 2;
    } else {
      bytes.push(path.charCodeAt(i));
    }
  }
  return isUtf8(Uint8Array.from(bytes));
}

function checkSegments(path: string): void {
  let start = 1;
  for (;;) {
    const end = path.indexOf("/", start);
    const stop = end < 0 ? path.length : end;
    const length = stop - start;
    if (length === 0 && end >= 0) throw reject("the path contains an empty segment ('//')");
    if (
      (length === 1 && path.charCodeAt(start) === 0x2e) ||
      (length === 2 && path.charCodeAt(start) === 0x2e && path.charCodeAt(start + 1) === 0x2e)
    ) {
      throw reject("the path contains a '.' or '..' segment");
    }
    if (end < 0) return;
    start = end + 1;
  }
}

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x2e ||
    byte === 0x5f ||
    byte === 0x7e
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function reject(description: string): GatewayError {
  return new GatewayError("invalid_request", description);
}
