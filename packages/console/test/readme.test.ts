import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readmeOptionsSection } from "@gatehouse/service-kit/docs";
import { describe, expect, it } from "vitest";
import { consoleConfigSchema } from "../src/config/schema.js";
import { CONSOLE_ERROR_CODES, CONSOLE_ERROR_STATUS } from "../src/errors.js";

const README = fileURLToPath(new URL("../README.md", import.meta.url));

describe("README", () => {
  it("has the configuration table generated from the schema (regenerate: pnpm run docs)", () => {
    const { actual, expected } = readmeOptionsSection(README, consoleConfigSchema);
    expect(actual, "README options table is stale: run `pnpm run docs`").toBe(expected);
  });

  it("lists every error code with its status in the Errors table, and nothing else", () => {
    const readme = readFileSync(README, "utf8");
    const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("\n## ", readme.indexOf("## Errors") + 1));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(CONSOLE_ERROR_CODES.map((code) => [code, CONSOLE_ERROR_STATUS[code]]));
  });
});
