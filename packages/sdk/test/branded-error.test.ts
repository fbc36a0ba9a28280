// The one error model: every Gatehouse error carries the Symbol.for brand of its family, and a guard accepts only
// its own family's branded errors, from this copy of the package or another, never a look-alike.
import { describe, expect, it } from "vitest";
import type * as ErrorsModule from "../src/errors.js";
import { BrandedError, ERROR_BRAND, GatehouseError, isBrandedError, isGatehouseError } from "../src/index.js";

/** A second, separately evaluated copy of the SDK's error module, as when an application loads the SDK twice. */
async function secondCopy(): Promise<typeof ErrorsModule> {
  const specifier = "../src/errors.ts?second-copy";
  return (await import(/* @vite-ignore */ specifier)) as typeof ErrorsModule;
}

/** An error of another family, as the gateway or the auth server define them. */
class OtherFamilyError extends BrandedError<"invalid_token"> {
  constructor() {
    super("gateway", "invalid_token", 401, "the token has expired", { headers: { "www-authenticate": "Bearer" } });
  }
}

describe("BrandedError", () => {
  it("brands each error with Symbol.for(\"gatehouse.error\") and its family", () => {
    expect(ERROR_BRAND).toBe(Symbol.for("gatehouse.error"));
    expect(new GatehouseError("invalid_token", "x")[ERROR_BRAND]).toBe("sdk");
    expect(new OtherFamilyError()[ERROR_BRAND]).toBe("gateway");
  });

  it("exposes the description below 500 and hides it from 500 on, unless told", () => {
    class Probe extends BrandedError {
      constructor(status: number, expose?: boolean) {
        super("probe", "probe", status, "d", expose === undefined ? {} : { expose });
      }
    }
    expect([new Probe(499).expose, new Probe(500).expose, new Probe(503, true).expose, new Probe(400, false).expose]).toEqual([true, false, true, false]);
    expect(new Probe(400).headers).toEqual({});
  });
});

describe("isGatehouseError", () => {
  it("accepts an SDK error from this copy and from a second copy of the SDK", async () => {
    const copy = await secondCopy();
    const foreignCopy = new copy.GatehouseError("invalid_token", "the token has expired");
    expect(foreignCopy instanceof GatehouseError).toBe(false);
    expect(isGatehouseError(new GatehouseError("timeout", "t"))).toBe(true);
    expect(isGatehouseError(foreignCopy)).toBe(true);
    expect(copy.isGatehouseError(new GatehouseError("timeout", "t"))).toBe(true);
  });

  it.each<[string, unknown]>([
    ["null", null],
    ["a string", "invalid_token"],
    ["a plain Error", new Error("invalid_token")],
    ["a plain object of the same shape", { code: "invalid_token", status: 401, description: "x", headers: {}, expose: true }],
    [
      "an Error of the same shape without the brand",
      Object.assign(new Error("x"), { gatehouse: true, code: "invalid_token", status: 401, description: "x", headers: {}, expose: true }),
    ],
    ["an error of another family", new OtherFamilyError()],
    ["a branded object missing headers", { [ERROR_BRAND]: "sdk", code: "invalid_token", status: 401, description: "x", expose: true }],
    ["a branded object with a numeric code", { [ERROR_BRAND]: "sdk", code: 401, status: 401, description: "x", headers: {}, expose: true }],
    ["a branded object with a string status", { [ERROR_BRAND]: "sdk", code: "x", status: "401", description: "x", headers: {}, expose: true }],
    ["a branded object without expose", { [ERROR_BRAND]: "sdk", code: "x", status: 401, description: "x", headers: {} }],
    ["a branded object with null headers", { [ERROR_BRAND]: "sdk", code: "x", status: 401, description: "x", headers: null, expose: true }],
    ["a brand under a different symbol", { [Symbol("gatehouse.error")]: "sdk", code: "x", status: 401, description: "x", headers: {}, expose: true }],
  ])("rejects %s", (_name, value) => {
    expect(isGatehouseError(value)).toBe(false);
  });

  it("is isBrandedError with the family sdk", () => {
    expect(isBrandedError(new GatehouseError("timeout", "t"), "sdk")).toBe(true);
    expect(isBrandedError(new GatehouseError("timeout", "t"), "gateway")).toBe(false);
    expect(isBrandedError(new OtherFamilyError(), "gateway")).toBe(true);
  });
});
