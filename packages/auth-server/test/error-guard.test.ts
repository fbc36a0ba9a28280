// The auth server's errors are branded Gatehouse errors of the family `auth-server`; isAuthServerError accepts only
// those, never an SDK or gateway error (same codes, other shape) or a look-alike without the brand, which the
// outermost handler would otherwise render with methods they do not have.
import { BrandedError, ERROR_BRAND, GatehouseError } from "@gatehouse/sdk";
import { describe, expect, it } from "vitest";
import { AuthServerError, ERROR_CODES, isAuthServerError, type AuthServerErrorCode } from "../src/errors.js";

class GatewayFamilyError extends BrandedError<"not_found"> {
  constructor() {
    super("gateway", "not_found", 404, "no route");
  }
}

describe("isAuthServerError", () => {
  it("accepts every code of this package, with its status, RFC 6749 error, headers and expose flag", () => {
    for (const code of Object.keys(ERROR_CODES) as AuthServerErrorCode[]) {
      const error = new AuthServerError(code, "d", { headers: { "retry-after": "2" } });
      expect(isAuthServerError(error)).toBe(true);
      expect(error[ERROR_BRAND]).toBe("auth-server");
      expect({ status: error.status, error: error.error, expose: error.expose, headers: error.headers, description: error.description }).toEqual({
        status: ERROR_CODES[code].status,
        error: ERROR_CODES[code].error,
        expose: ERROR_CODES[code].status < 500,
        headers: { "retry-after": "2" },
        description: "d",
      });
    }
  });

  it.each<[string, unknown]>([
    ["an SDK error with a code this package has", new GatehouseError("server_error", "upstream failed")],
    ["a gateway error with a code this package has", new GatewayFamilyError()],
    ["a plain object of this shape", { code: "not_found", status: 404, error: "not_found", description: "x", headers: {}, expose: true }],
    ["an Error of this shape without the brand", Object.assign(new Error("x"), { code: "server_error", status: 500, error: "server_error", description: "x", headers: {}, expose: false })],
    ["a branded object with a code this package lacks", { [ERROR_BRAND]: "auth-server", code: "teapot", status: 418, error: "x", description: "x", headers: {}, expose: true }],
    ["a branded object without headers", { [ERROR_BRAND]: "auth-server", code: "not_found", status: 404, error: "not_found", description: "x", expose: true }],
    ["null", null],
  ])("rejects %s", (_name, value) => {
    expect(isAuthServerError(value)).toBe(false);
  });

  it("hides the description of 5xx errors from the caller", () => {
    expect(new AuthServerError("server_error", "ECONNREFUSED 10.0.0.7").toBody()).toEqual({
      error: "server_error",
      error_description: "the server could not complete the request",
    });
    expect(new AuthServerError("service_not_found", 'no service "x"').toBody()).toEqual({ error: "not_found", error_description: 'no service "x"' });
  });
});
