// The README stays honest: its option tables are generated from the option types' JSDoc, and its Errors table lists
// exactly the exported error codes, each with the status the code maps to.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GATEHOUSE_ERROR_CODES, GatehouseError, VERIFIER_DEFAULTS } from "../src/index.js";
import { README, renderReadme } from "./docs/options-tables.js";

const readme = readFileSync(README, "utf8");

describe("README", () => {
  it("has up-to-date option tables (regenerate: pnpm run docs)", () => {
    expect(readme).toBe(renderReadme(readme));
  });

  it("states the verifier defaults the code applies (VERIFIER_DEFAULTS)", () => {
    const tables = readme.slice(readme.indexOf("<!-- OPTIONS_BEGIN createVerifier -->"), readme.indexOf("<!-- OPTIONS_END jwks -->"));
    const stated = new Map([...tables.matchAll(/^\| `([\w.]+)` \| `[^`]*` \| ([^|]*) \|/gm)].map((m) => [m[1], (m[2] ?? "").replace(/`| (ms|s)$|\s/g, "")]));
    expect(Object.fromEntries(["algorithms", "clockToleranceSec", "cacheSize", "jwks.cooldownMs", "jwks.maxAgeMs", "jwks.staleIfErrorSec", "jwks.timeoutMs"].map((name) => [name, stated.get(name)]))).toEqual({
      algorithms: JSON.stringify(VERIFIER_DEFAULTS.algorithms),
      clockToleranceSec: String(VERIFIER_DEFAULTS.clockToleranceSec),
      cacheSize: String(VERIFIER_DEFAULTS.cacheSize),
      "jwks.cooldownMs": String(VERIFIER_DEFAULTS.jwks.cooldownMs),
      "jwks.maxAgeMs": String(VERIFIER_DEFAULTS.jwks.maxAgeMs),
      "jwks.staleIfErrorSec": String(VERIFIER_DEFAULTS.jwks.staleIfErrorSec),
      "jwks.timeoutMs": String(VERIFIER_DEFAULTS.jwks.timeoutMs),
    });
  });

  it("lists every exported error code, in order, with its status", () => {
    const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("## Development"));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => ({ code: match[1], status: Number(match[2]) }));
    expect(rows).toEqual(GATEHOUSE_ERROR_CODES.map((code) => ({ code, status: new GatehouseError(code, "").status })));
  });
});
