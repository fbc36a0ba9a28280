// The error type and the RFC 6750 §3 WWW-Authenticate rendering.
import { describe, expect, it } from "vitest";
import { GatehouseError, wwwAuthenticate } from "../src/index.js";

describe("GatehouseError", () => {
  it("carries code, status, expose and description, and renders an RFC 6750 JSON body", () => {
    const error = new GatehouseError("invalid_token", "the token has expired");
    expect(Object.fromEntries(Object.entries(error))).toEqual({
      code: "invalid_token",
      status: 401,
      expose: true,
      description: "the token has expired",
      headers: {},
      responseStatus: undefined,
      name: "GatehouseError",
    });
    expect(error.toJSON()).toEqual({ error: "invalid_token", error_description: "the token has expired" });
    expect(error.message).toBe("invalid_token: the token has expired");
  });

  it("hides the description of internal errors from callers", () => {
    const error = new GatehouseError("network_error", "connect ECONNREFUSED 10.0.0.7:4000");
    expect({ status: error.status, expose: error.expose }).toEqual({ status: 503, expose: false });
    expect(JSON.stringify(error)).toBe('{"error":"network_error","error_description":"the request could not be completed"}');
  });

  it("passes an unknown OAuth error code through with status 502", () => {
    const error = new GatehouseError("custom_policy_denied", "denied", { responseStatus: 400 });
    expect({ code: error.code, status: error.status, responseStatus: error.responseStatus }).toEqual({
      code: "custom_policy_denied",
      status: 502,
      responseStatus: 400,
    });
  });
});

describe("wwwAuthenticate (RFC 6750 §3)", () => {
  it("renders realm, error and error_description for invalid_token", () => {
    expect(wwwAuthenticate(new GatehouseError("invalid_token", "the token has expired"), { realm: "orders" })).toBe(
      'Bearer realm="orders", error="invalid_token", error_description="the token has expired"',
    );
  });

  it("renders the required scope for insufficient_scope", () => {
    expect(
      wwwAuthenticate(new GatehouseError("insufficient_scope", "the token lacks scope orders:write"), {
        realm: "orders",
        scope: ["orders:read", "orders:write"],
      }),
    ).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks scope orders:write", scope="orders:read orders:write"',
    );
  });

  it("renders no error code when the request carried no credentials (RFC 6750 §3.1)", () => {
    expect(wwwAuthenticate(undefined, { realm: "orders" })).toBe('Bearer realm="orders"');
    expect(wwwAuthenticate(undefined)).toBe("Bearer");
  });

  it("renders no error code for errors RFC 6750 does not define", () => {
    expect(wwwAuthenticate(new GatehouseError("jwks_unavailable", "down"), { realm: "api" })).toBe('Bearer realm="api"');
  });

  it('replaces characters RFC 6750 forbids in values (", \\, control characters)', () => {
    expect(wwwAuthenticate(new GatehouseError("invalid_token", 'bad "kid" \\ \n here'), { realm: 'a"b' })).toBe(
      `Bearer realm="a b", error="invalid_token", error_description="bad  kid${" ".repeat(6)}here"`,
    );
  });
});
