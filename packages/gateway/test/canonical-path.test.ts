import { describe, expect, it } from "vitest";
import { isGatewayError } from "../src/errors.js";
import { canonicalizeTarget } from "../src/routes/canonical-path.js";

/**
 * Path-confusion vectors. Each names the family it belongs to; the sources are the classic
 * proxy/backend disagreements: encoded separators (CVE-2007-0450 class, Tomcat/Apache),
 * dot-segment traversal (RFC 3986 §5.2.4), `;` path parameters (Tomcat/Spring matrix params),
 * backslash as separator (IIS/Windows), NUL truncation, overlong UTF-8 (CVE-2000-0884 class).
 */
const rejected: readonly (readonly [string, string, string])[] = [
  ["encoded slash", "/api/orders%2F..%2Fadmin", "the path contains an encoded '/' (%2F)"],
  ["encoded slash, lower case", "/api%2forders", "the path contains an encoded '/' (%2F)"],
  ["encoded dot-dot", "/api/orders/%2e%2e/admin", "the path contains a '.' or '..' segment"],
  ["mixed encoded dot-dot", "/api/orders/.%2E/admin", "the path contains a '.' or '..' segment"],
  ["encoded single dot", "/api/%2e/admin", "the path contains a '.' or '..' segment"],
  ["raw dot-dot", "/api/orders/../admin", "the path contains a '.' or '..' segment"],
  ["raw single dot", "/api/./admin", "the path contains a '.' or '..' segment"],
  ["trailing dot-dot", "/api/orders/..", "the path contains a '.' or '..' segment"],
  ["backslash", "/api/orders\\..\\admin", "the path contains a backslash"],
  ["encoded backslash", "/api/orders%5C..%5Cadmin", "the path contains an encoded backslash (%5C)"],
  ["duplicate slash", "//api/orders", "the path contains an empty segment ('//')"],
  ["inner duplicate slash", "/api//orders", "the path contains an empty segment ('//')"],
  ["semicolon parameter", "/api/admin;jsessionid=1/x", "the path contains a ';' parameter"],
  ["semicolon dot-dot", "/api/orders/..;/admin", "the path contains a ';' parameter"],
  ["encoded semicolon", "/api/admin%3Bx", "the path contains an encoded ';' (%3B)"],
  ["encoded NUL", "/api/orders%00.json", "the path contains an encoded control character"],
  ["raw NUL", "/api/orders\u0000", "the path contains a control, space or non-ASCII character"],
  ["encoded newline", "/api/orders%0d%0aX-Injected:1", "the path contains an encoded control character"],
  ["encoded DEL", "/api/%7F", "the path contains an encoded control character"],
  ["raw space", "/api/ orders", "the path contains a control, space or non-ASCII character"],
  ["raw non-ASCII", "/api/ördérs", "the path contains a control, space or non-ASCII character"],
  ["bad escape: one digit", "/api/%2", "the path contains a '%' that is not followed by two hex digits"],
  ["bad escape: not hex", "/api/%zz", "the path contains a '%' that is not followed by two hex digits"],
  ["bad escape: lone percent", "/api/100%", "the path contains a '%' that is not followed by two hex digits"],
  ["overlong UTF-8 dot", "/api/%C0%AE%C0%AE/admin", "the path's percent-encoding is not valid UTF-8"],
  ["invalid UTF-8 byte", "/api/%FF", "the path's percent-encoding is not valid UTF-8"],
  ["truncated UTF-8 sequence", "/api/%C3", "the path's percent-encoding is not valid UTF-8"],
  ["fragment", "/api/orders#x", "the path contains '#'"],
  ["absolute form", "http://evil.example/api/orders", "the request target must be an absolute path"],
  ["asterisk form", "*", "the request target must be an absolute path"],
  ["empty target", "", "the request target must be an absolute path"],
];

const normalized: readonly (readonly [string, string, string])[] = [
  ["plain path", "/api/orders/1", "/api/orders/1"],
  ["root", "/", "/"],
  ["trailing slash kept", "/api/orders/", "/api/orders/"],
  ["encoded unreserved letters decoded", "/api/%6Frders", "/api/orders"],
  ["encoded tilde, dash, underscore decoded", "/a/%7E%2D%5F", "/a/~-_"],
  ["other escapes keep their encoding, hex upper-cased", "/a/%c3%a9t%C3%A9", "/a/%C3%A9t%C3%A9"],
  ["encoded percent stays encoded", "/a/100%25", "/a/100%25"],
  ["encoded question mark stays encoded", "/a/%3f", "/a/%3F"],
  ["dots inside a segment are ordinary", "/a/v1.2/..x/x..y", "/a/v1.2/..x/x..y"],
  ["letter case is left as sent", "/API/Orders", "/API/Orders"],
];

describe("canonicalizeTarget", () => {
  it.each(rejected)("rejects %s with 400 invalid_request", (_family, target, description) => {
    let caught: unknown;
    try {
      canonicalizeTarget(target);
    } catch (error) {
      caught = error;
    }
    expect(isGatewayError(caught)).toBe(true);
    expect(caught).toMatchObject({ code: "invalid_request", status: 400, description });
  });

  it.each(normalized)("normalizes %s", (_family, target, path) => {
    expect(canonicalizeTarget(target)).toEqual({ path, query: "", forms: 0 });
  });

  it("keeps the query string untouched, including encoded separators", () => {
    expect(canonicalizeTarget("/api/orders?next=%2F..%2Fadmin&a=b;c")).toEqual({
      path: "/api/orders",
      query: "?next=%2F..%2Fadmin&a=b;c",
      forms: 0,
    });
  });

  it("returns a path that is its own canonical form", () => {
    for (const [, target] of normalized) {
      const once = canonicalizeTarget(target).path;
      expect(canonicalizeTarget(once).path).toBe(once);
    }
  });
});
