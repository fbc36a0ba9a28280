// The built `dist/main.js` as an operator starts it: flags, variables, exit codes, signals.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort, REDIS_URL, uniqueStream } from "./helpers/redis.js";

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const GOOD = fileURLToPath(new URL("fixtures/good.yaml", import.meta.url));
const BAD = fileURLToPath(new URL("fixtures/unknown-key.yaml", import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env["PATH"], LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return { child, output: () => output, exit: once(child, "exit").then(([code]) => code as number | null) };
}

describe("gatehouse-console", () => {
  it("refuses to start without REDIS_URL (exit 64), naming it", async () => {
    const started = run(["--config", GOOD], {});
    expect(await started.exit).toBe(64);
    expect(started.output()).toContain("console not started: REDIS_URL is required");
  });

  it("refuses a config error (exit 78), naming the file and the path", async () => {
    const started = run(["--config", BAD], { REDIS_URL });
    expect(await started.exit).toBe(78);
    expect(started.output()).toContain("learningSecond: unknown option");
  });

  it("refuses --workers 2: baselines live in one process", async () => {
    const started = run(["--config", GOOD, "--workers", "2"], { REDIS_URL });
    expect(await started.exit).toBe(64);
  });

  it("serves on --port with the credential from GATEHOUSE_ADMIN_TOKEN_FILE and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const tokenFile = fileURLToPath(new URL("fixtures/admin.token", import.meta.url));
    // Its own stream: the shared Redis's default one belongs to nobody's test.
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-console-main-"));
    const config = join(dir, "console.yaml");
    writeFileSync(config, `stream: ${uniqueStream("main")}\n`);
    const started = run(["--config", config, "--port", String(port)], { REDIS_URL, GATEHOUSE_ADMIN_TOKEN_FILE: tokenFile, GATEHOUSE_ISSUER: "http://127.0.0.1:9" });
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = await fetch(`http://127.0.0.1:${String(port)}/api/status`, { headers: { authorization: "Bearer test-admin-credential-0123456789abcdef" } }).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    started.child.kill("SIGTERM");
    expect(await started.exit).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});

