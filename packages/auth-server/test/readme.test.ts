import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readmeOptionsSection } from "@gatehouse/service-kit/docs";
import { describe, expect, it } from "vitest";
import { authServerConfigSchema } from "../src/config/schema.js";
import { ERROR_CODES, OAUTH_ERRORS } from "../src/errors.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

function section(readme: string, heading: string): string {
  const start = readme.indexOf(heading);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README", () => {
  it("has the configuration table generated from the schema (regenerate: pnpm run docs)", () => {
    const { actual, expected } = readmeOptionsSection(README, authServerConfigSchema);
    expect(actual, "README options table is stale: run `pnpm run docs`").toBe(expected);
  });

  it("lists every start-up error code with its meaning and fix, and nothing else", () => {
    const errors = section(readFileSync(README, "utf8"), "## Errors");
    const table = errors.slice(errors.indexOf("Start-up errors"), errors.indexOf("HTTP errors"));
    const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (.+) \| (.+) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).filter(([, e]) => e.when === "start").map(([code, e]) => [code, e.meaning, e.fix]));
  });

  it("lists every HTTP error code with its status, wire error, meaning and fix, and nothing else", () => {
    const errors = section(readFileSync(README, "utf8"), "## Errors");
    const table = errors.slice(errors.indexOf("HTTP errors"), errors.indexOf("OAuth errors"));
    const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `([a-z_]+)` \| (.+) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3], m[4], m[5]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).filter(([, e]) => e.when === "http").map(([code, e]) => [code, e.status, e.error, e.meaning, e.fix]));
  });

  it("lists every OAuth error of the token endpoint with its status, meaning and fix", () => {
    const errors = section(readFileSync(README, "utf8"), "## Errors");
    const table = errors.slice(errors.indexOf("OAuth errors"));
    const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3], m[4]]);
    expect(rows).toEqual(Object.entries(OAUTH_ERRORS).map(([code, e]) => [code, e.status, e.meaning, e.fix]));
  });
});
