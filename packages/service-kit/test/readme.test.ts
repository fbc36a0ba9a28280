import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, exitCodeFor, StartFlagError } from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("lists exactly the error codes the package throws", () => {
    const section = readme.slice(readme.indexOf("## Errors"));
    const rows = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual([new ConfigError("x.yaml", []).code, new StartFlagError("x").code]);
  });

  it("states the exit code each of them stops a start with", () => {
    expect(readme).toContain(`\`${exitCodeFor(new StartFlagError("x"))}\` usage (\`invalid_start_flag\`)`);
    expect(readme).toContain(`\`${exitCodeFor(new ConfigError("x.yaml", []))}\` config\n  (\`invalid_config\``);
  });
});
