import { isUtf8 } from "node:buffer";
import { GatewayError } from "../errors.js";

/**
 * Well-formed path forms that backends may still read as another path: a segment ending in `.`
 * (Windows and IIS trim it), encoded whitespace (trimmed or split by many frameworks), and
 * non-ASCII that NFKC normalization or case mapping changes (fullwidth `／` → `/`, `ı` → `I`,
 * `ſ` → `S`, the Kelvin sign `K` → `k`). Refused with 400 unless the matched route lists the form in
 * `allowPathForms`; each form is one bit of {@link CanonicalTarget.forms}.
 */
export const PATH_FORMS = {
  "trailing-dot": 1,
  "encoded-whitespace": 2,
  "unstable-unicode": 4,
} as const;

/** The name of one {@link PATH_FORMS} entry, as routes list it in `allowPathForms`. */
export type PathForm = keyof typeof PATH_FORMS;

const FORM_DESCRIPTIONS: Readonly<Record<PathForm, string>> = {
  "trailing-dot": "the path has a segment ending in '.'",
  "encoded-whitespace": "the path contains encoded whitespace",
  "unstable-unicode": "the path contains non-ASCII characters that Unicode normalization (NFKC) or case mapping changes",
};

/** A request target split into the canonical path and the untouched query (with its `?`). */
export interface CanonicalTarget {
  readonly path: string;
  readonly query: string;
  /** The {@link PATH_FORMS} bits the path carries; `0` for an ordinary path. */
  readonly forms: number;
}

/** Unicode white space (JavaScript's `\s` plus NEL), as a decoded path character. */
const UNICODE_WHITESPACE = /[\s\u0085]/gu;
/** Characters NFKC_Casefold removes (soft hyphen, zero-width and bidi controls): invisible, and dropped by some matchers. */
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

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
 * Flagged in `forms` (refused after route matching unless the route allows them, see
 * {@link refusedPathForm}): the {@link PATH_FORMS}. The checks cost nothing on ASCII paths
 * without escapes but the trailing-dot test per segment.
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
  if (!escapes) return { path: raw, query, forms: checkSegments(raw) };
  const decoded = decodeEscapes(raw);
  return { path: decoded.path, query, forms: decoded.forms | checkSegments(decoded.path) };
}

function decodeEscapes(raw: string): { path: string; forms: number } {
  let out = "";
  let nonAscii = false;
  let forms = 0;
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
    if (byte === 0x20) forms |= PATH_FORMS["encoded-whitespace"];
    else if (byte >= 0x80) nonAscii = true;
  }
  if (!nonAscii) return { path: out, forms };
  const bytes = escapedBytes(out);
  if (!isUtf8(bytes)) throw reject("the path's percent-encoding is not valid UTF-8");
  return { path: out, forms: forms | unicodeForms(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8")) };
}

/**
 * The forms of a decoded non-ASCII path: Unicode white space (NBSP, ideographic space, NEL…) is
 * `encoded-whitespace`; the rest is `unstable-unicode` when NFKC_Casefold would change it: NFKC
 * changes it (fullwidth and compatibility characters, combining sequences that compose), it holds
 * a default-ignorable character (soft hyphen, zero-width space, bidi overrides), or a character's
 * upper or lower case contains ASCII (`ı` → `I`, `ſ` → `S`, `ß` → `SS`, `İ` → `i̇`), so that a
 * backend folding case would reach an ASCII path the gateway never matched.
 */
function unicodeForms(text: string): number {
  let forms = 0;
  const spaced = text.replace(UNICODE_WHITESPACE, " ");
  if (spaced !== text) forms |= PATH_FORMS["encoded-whitespace"];
  if (spaced.normalize("NFKC") !== spaced || IGNORABLE.test(spaced)) return forms | PATH_FORMS["unstable-unicode"];
  for (const ch of spaced) {
    if (ch.charCodeAt(0) < 0x80) continue;
    if (hasAscii(ch.toLowerCase()) || hasAscii(ch.toUpperCase())) return forms | PATH_FORMS["unstable-unicode"];
  }
  return forms;
}

function hasAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x80) return true;
  return false;
}

/** The bytes of a path whose escapes are decoded in place among its literal characters. */
function escapedBytes(path: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path.charCodeAt(i) === 0x25) {
      bytes.push(hexValue(path.charCodeAt(i + 1)) * 16 + hexValue(path.charCodeAt(i + 2)));
      i += 2;
    } else {
      bytes.push(path.charCodeAt(i));
    }
  }
  return Uint8Array.from(bytes);
}

/** Refuses empty and dot segments; returns the `trailing-dot` bit when a segment ends in `.`. */
function checkSegments(path: string): number {
  let forms = 0;
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
    if (length > 0 && path.charCodeAt(stop - 1) === 0x2e) forms = PATH_FORMS["trailing-dot"];
    if (end < 0) return forms;
    start = end + 1;
  }
}

/**
 * The 400 for a path that carries a {@link PATH_FORMS} form its route does not list in
 * `allowPathForms`, or `undefined` when every form it carries is allowed.
 */
export function refusedPathForm(forms: number, allowed: readonly PathForm[]): GatewayError | undefined {
  for (const name of Object.keys(PATH_FORMS) as PathForm[]) {
    if ((forms & PATH_FORMS[name]) !== 0 && !allowed.includes(name)) return reject(FORM_DESCRIPTIONS[name]);
  }
  return undefined;
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
