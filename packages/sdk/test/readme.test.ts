// The README stays honest: its option tables are generated from the option types' JSDoc, and its Errors table lists
// exactly the exported error codes, each with the status the code maps to.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GATEHOUSE_ERROR_CODES, GatehouseError } from "../src/index.js";
import { README, renderReadme } from "./docs/options-tables.js";

const readme = readFileSync(README, "utf8");

describe("README", () => {
  it("has up-to-date option tables (regenerate: node packages/sdk/test/docs/options-tables.ts)", () => {
    expect(readme).toBe(renderReadme(readme));
  });

  it("lists every exported error code, in order, with its status", () => {
    const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("## Development"));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => ({ code: match[1], status: Number(match[2]) }));
    expect(rows).toEqual(GATEHOUSE_ERROR_CODES.map((code) => ({ code, status: new GatehouseError(code, "").status })));
  });
});
