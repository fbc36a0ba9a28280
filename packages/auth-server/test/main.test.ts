import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as oauth from "oauth4webapi";
import { afterAll, describe, expect, it } from "vitest";
import { MAIN, CLI, run, start, type Running } from "./helpers/cli.js";
import { PLAIN_HTTP } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-main-"));
const SECRET = "reporting-secret-0123456789";
const running: Running[] = [];

function writeConfig(name: string, extra = ""): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `${extra}services:
  reporting:
    auth: { method: client_secret_basic, secretEnv: REPORTING_SECRET }
    allow: { ledger: [ledger:read] }
  ledger:
    resource: https://ledger.internal
    scopes: [ledger:read]
    auth: { method: client_secret_basic, secretEnv: REPORTING_SECRET }
`,
  );
  return file;
}

function launch(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir): Running {
  const server = start(MAIN, args, { REPORTING_SECRET: SECRET, ...env }, cwd);
  running.push(server);
  return server;
}

const listening = (line: Record<string, unknown>) => line["msg"] === "auth server listening";

async function token(issuer: string, port: number): Promise<number> {
  const as: oauth.AuthorizationServer = { issuer, token_endpoint: `http://127.0.0.1:${port}/token` };
  const response = await oauth.clientCredentialsGrantRequest(as, { client_id: "reporting" }, oauth.ClientSecretBasic(SECRET), { resource: "https://ledger.internal", scope: "ledger:read" }, PLAIN_HTTP);
  return response.status;
}

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("node dist/main.js", () => {
  it("serves tokens on --port and drains on SIGTERM with exit code 0", async () => {
    const server = launch(["--config", writeConfig("basic.yaml", "keys: { generate: memory }\n"), "--port", "0"]);
    const line = await server.waitForLog(listening);
    const port = line["port"] as number;
    expect(line["issuer"]).toBe(`http://127.0.0.1:${port}`);
    expect(await token(`http://127.0.0.1:${port}`, port)).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.lines.map((l) => l["msg"])).toContain("shutting down");
  });

  it("takes the issuer from GATEHOUSE_ISSUER over the file", async () => {
    const server = launch(["--config", writeConfig("issuer.yaml", "issuer: https://from-file.example\nkeys: { generate: memory }\n"), "--port", "0"], {
      GATEHOUSE_ISSUER: "https://from-env.example",
    });
    const port = (await server.waitForLog(listening))["port"] as number;
    const metadata = (await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
    expect(metadata.issuer).toBe("https://from-env.example");
    expect(await token("https://from-env.example", port)).toBe(200);
    await server.stop();
  });

  it("persists dev keys under .gatehouse/ in the working directory and reuses them", async () => {
    const cwd = mkdtempSync(join(dir, "dev-"));
    const config = writeConfig("dev.yaml");
    const first = launch(["--config", config, "--port", "0"], {}, cwd);
    const port = (await first.waitForLog(listening))["port"] as number;
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: { kid: string }[] };
    await first.stop();
    const file = join(cwd, ".gatehouse", "signing-keys.json");
    expect(existsSync(file)).toBe(true);
    const stored = JSON.parse(readFileSync(file, "utf8")) as { keys: { kid: string }[] };
    expect(stored.keys.map((k) => k.kid)).toEqual(jwks.keys.map((k) => k.kid));

    const second = launch(["--config", config, "--port", "0"], {}, cwd);
    const again = (await second.waitForLog(listening))["port"] as number;
    const jwksAgain = (await (await fetch(`http://127.0.0.1:${again}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwksAgain.keys.map((k) => k.kid)).toEqual(jwks.keys.map((k) => k.kid));
    await second.stop();
  });

  it("runs --workers 2 sharing one port through node:cluster with Redis", async () => {
    const keyFile = join(dir, "workers-keys.json");
    await run(CLI, ["keys", "generate", "--file", keyFile]);
    const config = writeConfig("workers.yaml", `issuer: https://workers.example\nkeys: { file: ${keyFile} }\nredis: { keyPrefix: "test:auth:${randomUUID()}:" }\n`);
    const server = launch(["--config", config, "--port", "0", "--workers", "2"], { REDIS_URL });
    await server.waitForLog((l) => l["msg"] === "started workers");
    const first = await server.waitForLog(listening);
    const port = first["port"] as number;
    await server.waitForLog((l) => listening(l) && l["pid"] !== first["pid"]);
    const statuses = await Promise.all(Array.from({ length: 8 }, () => token("https://workers.example", port)));
    expect(statuses).toEqual(Array.from({ length: 8 }, () => 200));
    expect(await server.stop()).toBe(0);
  });

  it("refuses --workers 2 without REDIS_URL, naming why", async () => {
    const result = await run(MAIN, ["--config", writeConfig("no-redis.yaml"), "--workers", "2"], { REPORTING_SECRET: SECRET });
    expect(result.code).toBe(64);
    const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(fatal).toMatchObject({
      level: 60,
      code: "invalid_start_flag",
      msg: "auth server not started: --workers 2 needs REDIS_URL: the assertion replay cache and the registry must be shared by every worker",
    });
  });

  it("refuses a config error, naming the file and path", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "tokens: { ttl: 300 }\n");
    const result = await run(MAIN, ["--config", file]);
    expect(result.code).toBe(78);
    const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(fatal).toMatchObject({ code: "invalid_config", msg: `auth server not started: ${file}: tokens.ttl: unknown option (check the spelling against the documented options)` });
  });

  it("refuses to start when a secret variable is missing, naming it", async () => {
    const result = await run(MAIN, ["--config", writeConfig("nosecret.yaml", "keys: { generate: memory }\n")], {});
    expect(result.code).toBe(78);
    const fatal = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(fatal).toMatchObject({ code: "missing_secret", msg: 'auth server not started: service "reporting": environment variable REPORTING_SECRET (its client secret) is not set' });
  });
});
