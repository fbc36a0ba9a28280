// docs/operations.md "Operator contract" is what operators script against; this runs every built binary and
// compares what it does with what that section states: --help, --version, a bad flag, a bad config, /readyz.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXIT_CODES } from "@gatehouse/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BINARIES, runBinary } from "../helpers/binaries.js";
import { startEstate, type Estate } from "./estate.js";

const root = resolve(import.meta.dirname, "../..");
const operations = readFileSync(resolve(root, "docs/operations.md"), "utf8");
const contract = operations.slice(operations.indexOf("## Operator contract"));

/** The rows of the Markdown table under `### heading` in the contract section, as cells without backticks. */
function table(heading: string): string[][] {
  const start = contract.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no "### ${heading}" in its Operator contract section`);
  const end = contract.indexOf("\n### ", start + 1);
  const section = contract.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
    .slice(1)
    .map((line) =>
      line
        .slice(2, -2)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
}

const documentedExit = Object.fromEntries(table("Exit codes").map(([code = "", name = ""]) => [name.replaceAll("`", ""), Number(code.replaceAll("`", ""))]));
const version = (pkg: string) => (JSON.parse(readFileSync(resolve(root, `packages/${pkg}/package.json`), "utf8")) as { version: string }).version;

const binaries = table("Binaries").map(([name = "", runAs = "", prints = ""]) => {
  const script = /`node (\S+)`/.exec(runAs)?.[1] ?? "";
  return { name, script: resolve(root, script), versionLine: prints.replaceAll("`", "") };
});

describe("the exit codes documented in docs/operations.md", () => {
  it("are exactly service-kit's EXIT_CODES", () => {
    expect(documentedExit).toEqual(EXIT_CODES);
  });

  it("name every built binary", () => {
    expect(binaries.map((b) => b.script).sort()).toEqual(Object.values(BINARIES).sort());
  });
});

describe.concurrent.each(binaries)("$name ($script)", ({ name, script, versionLine }) => {
  it("prints its usage for --help and exits 0", async () => {
    const result = await runBinary(script, ["--help"]);
    expect(result.code).toBe(documentedExit["ok"]);
    expect(result.stdout).toMatch(/^usage: gatehouse-(gateway|auth|console) /);
    expect(result.stdout).toContain("--version");
  });

  it("prints the documented version line for --version and exits 0", async () => {
    const result = await runBinary(script, ["--version"]);
    expect(result.code).toBe(documentedExit["ok"]);
    const pkg = name === "gateway" || name === "console" ? name : "auth-server";
    expect(result.stdout).toBe(`${versionLine.replace("<version>", version(pkg))}\n`);
  });

  it("refuses a misspelled flag with the documented usage exit code, naming the flag", async () => {
    const result = await runBinary(script, ["--confg", "x.yaml"]);
    expect(result.code).toBe(documentedExit["usage"]);
    if (name === "auth CLI") {
      expect(result.stderr).toMatch(/^gatehouse-auth: unknown command: --confg/);
    } else {
      const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
      expect(fatal).toMatchObject({ level: 60, code: "invalid_start_flag" });
      expect(fatal["msg"]).toMatch(new RegExp(`^${name} not started: Unknown option '--confg'`));
    }
  });
});

describe("a bad config file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-contract-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.concurrent.each([
    ["gateway", BINARIES.gateway, ["--port", "0", "--admin-port", "0"]],
    ["auth server", BINARIES.authServer, ["--port", "0"]],
    ["auth server", BINARIES.authCli, ["serve", "--port", "0"]],
    ["console", BINARIES.console, ["--port", "0"]],
  ] as const)("stops the %s (%s) with the documented config exit code", async (service, script, args) => {
    const file = join(dir, `${service.replace(" ", "-")}-${args.length}.yaml`);
    writeFileSync(file, "listener: { headersTimeoutMs: 0 }\n");
    const result = await runBinary(script, [...(script === BINARIES.authCli ? args.slice(0, 1) : []), "--config", file, ...(script === BINARIES.authCli ? args.slice(1) : args)]);
    expect(result.code).toBe(documentedExit["config"]);
    const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(fatal).toMatchObject({ level: 60, code: "invalid_config" });
    expect(fatal["msg"]).toMatch(new RegExp(`^${service} not started: `));
    expect(fatal["msg"]).toContain(`${file}: listener.headersTimeoutMs: Too small: expected number to be >=1000`);
  });
});

describe("/healthz and /readyz", () => {
  let estate: Estate;
  beforeAll(async () => {
    estate = await startEstate();
  }, 60_000);
  afterAll(async () => {
    await estate.close();
  });

  const documentedChecks: Record<string, string[]> = Object.fromEntries(
    table("Health endpoints").map((row): [string, string[]] => [row[0] ?? "", [...(row[2] ?? "").matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1] ?? "")]),
  );

  async function answer(url: string): Promise<{ status: number; cacheControl: string | null; body: unknown }> {
    const response = await fetch(url);
    return { status: response.status, cacheControl: response.headers.get("cache-control"), body: await response.json() };
  }

  async function readyWithin(url: string, ms: number): Promise<{ status: number; cacheControl: string | null; body: unknown }> {
    const deadline = Date.now() + ms;
    let last = await answer(url);
    while (last.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      last = await answer(url);
    }
    return last;
  }

  it("answer the documented shape on the gateway's admin port, with its documented checks", async () => {
    const base = `http://127.0.0.1:${estate.gateway.adminPort}`;
    expect(await answer(`${base}/healthz`)).toEqual({ status: 200, cacheControl: "no-store", body: { status: "ok" } });
    const checks = Object.fromEntries((documentedChecks["gateway"] ?? []).map((c) => [c, "ok"]));
    expect(await readyWithin(`${base}/readyz`, 5_000)).toEqual({ status: 200, cacheControl: "no-store", body: { status: "ready", checks } });
  });

  it("answer the documented shape on the auth server's port (no Redis: no redis check)", async () => {
    const base = `http://127.0.0.1:${estate.auth.port}`;
    expect(await answer(`${base}/healthz`)).toEqual({ status: 200, cacheControl: "no-store", body: { status: "ok" } });
    const checks = Object.fromEntries((documentedChecks["auth server"] ?? []).filter((c) => c !== "redis").map((c) => [c, "ok"]));
    expect(await readyWithin(`${base}/readyz`, 5_000)).toEqual({ status: 200, cacheControl: "no-store", body: { status: "ready", checks } });
  });
});
