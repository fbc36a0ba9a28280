// Runs `pnpm start`'s stack (scripts/dev-stack.ts) as a child process on free ports in a temp folder.
import { spawn, type ChildProcess } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../helpers/services.js";

const root = resolve(import.meta.dirname, "../../..");

export interface DevStack {
  readonly ports: Readonly<Record<"AUTH_PORT" | "AUTH_ADMIN_PORT" | "GATEWAY_PORT" | "ADMIN_PORT" | "ORDERS_PORT" | "INVENTORY_PORT" | "CONSOLE_PORT" | "EVENTS_REDIS_PORT", number>>;
  readonly stateDir: string;
  /** A credential file the stack wrote under `dev/credentials/`, parsed. */
  credentials(name: string): Record<string, unknown>;
  output(): string;
  /** One request to the gateway (`https://localhost:<GATEWAY_PORT>`), trusting the stack's dev CA. */
  gatewayRequest(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }>;
  /** SIGTERM, then resolves with the stack's exit code once every process it started has stopped; removes the folder. */
  stop(): Promise<number | null>;
}

/** Starts the stack without REDIS_URL (in-memory stores, a private Redis for the events) and waits for its walkthrough. */
export async function startDevStack(): Promise<DevStack> {
  const stateDir = mkdtempSync(join(tmpdir(), "gatehouse-dev-stack-"));
  const ports = {
    AUTH_PORT: await freePort(),
    AUTH_ADMIN_PORT: await freePort(),
    GATEWAY_PORT: await freePort(),
    ADMIN_PORT: await freePort(),
    ORDERS_PORT: await freePort(),
    INVENTORY_PORT: await freePort(),
    CONSOLE_PORT: await freePort(),
    EVENTS_REDIS_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_STATE_DIR: stateDir, LOG_LEVEL: "warn" };
  delete env["REDIS_URL"];
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const stack: ChildProcess = spawn(process.execPath, ["scripts/dev-stack.ts"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolveExit) => stack.once("exit", (code) => resolveExit(code)));
  let output = "";
  stack.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  stack.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`the stack did not come up in 60 s:\n${output}`)), 60_000);
    stack.stdout?.on("data", () => {
      if (output.includes("Ctrl-C stops everything.")) {
        clearTimeout(timer);
        ready();
      }
    });
    stack.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`the stack exited (${String(code)}) before it was up:\n${output}`));
    });
  });
  return {
    ports,
    stateDir,
    credentials: (name) => JSON.parse(readFileSync(join(stateDir, "dev", "credentials", `${name}.json`), "utf8")) as Record<string, unknown>,
    output: () => output,
    gatewayRequest(path, init = {}) {
      const ca = readFileSync(join(stateDir, "dev", "trust-bundle.pem"), "utf8");
      return new Promise((resolveAnswer, reject) => {
        const outgoing = httpsRequest(`https://localhost:${ports.GATEWAY_PORT}${path}`, { method: init.method ?? "GET", headers: init.headers, ca, timeout: 10_000 }, (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolveAnswer({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        });
        outgoing.once("timeout", () => outgoing.destroy(new Error(`${path}: no answer within 10 s`)));
        outgoing.once("error", reject);
        outgoing.end(init.body);
      });
    },
    async stop() {
      if (stack.exitCode === null && stack.signalCode === null) stack.kill("SIGTERM");
      const code = await exited;
      rmSync(stateDir, { recursive: true, force: true });
      return code;
    },
  };
}
