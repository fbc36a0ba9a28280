// `pnpm start`: the whole Gatehouse stack on embedded defaults, no Docker.
// Auth server :4000, gateway :8080 (admin :9090), demo services orders :7001 and inventory :7002,
// the console :9400. In-memory stores unless REDIS_URL is set; the security events go to REDIS_URL,
// else to a private redis-server (no persistence) on :6380 that this script starts and stops.
// Keys and configs live under .gatehouse/ (git-ignored).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { renderAuthConfig, renderConsoleConfig, renderGatewayConfig, type StackPorts } from "./dev-stack/configs.ts";
import { walkthrough } from "./dev-stack/walkthrough.ts";

const root = resolve(import.meta.dirname, "..");
// GATEHOUSE_STATE_DIR moves the state folder (the end-to-end test runs the stack in a temp folder).
const stateDir = resolve(process.env["GATEHOUSE_STATE_DIR"] ?? join(root, ".gatehouse"));
const devDir = join(stateDir, "dev");
const credentialsDir = join(devDir, "credentials");
const ports: StackPorts = {
  auth: Number(process.env["AUTH_PORT"] ?? 4000),
  gateway: Number(process.env["GATEWAY_PORT"] ?? 8080),
  admin: Number(process.env["ADMIN_PORT"] ?? 9090),
  orders: Number(process.env["ORDERS_PORT"] ?? 7001),
  inventory: Number(process.env["INVENTORY_PORT"] ?? 7002),
  console: Number(process.env["CONSOLE_PORT"] ?? 9400),
};
const eventsRedisPort = Number(process.env["EVENTS_REDIS_PORT"] ?? 6380);
const issuer = `http://127.0.0.1:${ports.auth}`;
const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;

interface KeyCredentials {
  clientId: string;
  issuer: string;
  resource: string;
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
}

interface SecretCredentials {
  clientId: string;
  issuer: string;
  clientSecret: string;
}

mkdirSync(credentialsDir, { recursive: true, mode: 0o700 });

/** A demo service's key pair, generated once and kept, so restarts keep their identity. */
function keyCredentials(clientId: string, resource: string): KeyCredentials {
  const file = join(credentialsDir, `${clientId}.json`);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as KeyCredentials;
    if (saved.issuer === issuer) return saved;
  }
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${clientId}-${randomBytes(4).toString("hex")}`;
  const creds: KeyCredentials = {
    clientId,
    issuer,
    resource,
    privateJwk: { ...privateKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" },
    publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" },
  };
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

/** The walkthrough client's secret, generated once; the auth server reads it from DEMO_CLI_CLIENT_SECRET. */
function secretCredentials(clientId: string): SecretCredentials {
  const file = join(credentialsDir, `${clientId}.json`);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as SecretCredentials;
    if (saved.issuer === issuer) return saved;
  }
  const creds = { clientId, issuer, clientSecret: randomBytes(24).toString("base64url") };
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

/** The dev admin credential the console accepts, generated once. */
function consoleCredentials(): { adminToken: string } {
  const file = join(credentialsDir, "console.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { adminToken: string };
  const creds = { adminToken: randomBytes(32).toString("base64url") };
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  return creds;
}

const orders = keyCredentials("orders", "https://orders.internal");
const inventory = keyCredentials("inventory", "https://inventory.internal");
const cli = secretCredentials("demo-cli");

const authConfigFile = join(devDir, "services.yaml");
const gatewayConfigFile = join(devDir, "gateway.yaml");
const consoleConfigFile = join(devDir, "console.yaml");
const consoleAdmin = consoleCredentials();
writeFileSync(authConfigFile, renderAuthConfig({ issuer, stateDir, orders: orders.publicJwk, inventory: inventory.publicJwk }));
writeFileSync(gatewayConfigFile, renderGatewayConfig({ issuer, ports }));
writeFileSync(consoleConfigFile, renderConsoleConfig({ issuer }));

const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function start(name: string, script: string, args: string[], env: Record<string, string>, command = process.execPath): void {
  const child = spawn(command, command === process.execPath ? [script, ...args] : args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `${name.padEnd(9)}| `;
  const forward = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line !== "") stream.write(`${prefix}${line}\n`);
  };
  child.stdout.on("data", forward(process.stdout));
  child.stderr.on("data", forward(process.stderr));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      process.stderr.write(`${prefix}exited (${signal ?? String(code)}); stopping the stack\n`);
      void stop(1);
    }
  });
  children.push({ name, child });
}

async function waitFor(name: string, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/** Waits until a Redis on this loopback port answers PING. */
async function waitForRedis(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answered = await new Promise<boolean>((resolvePing) => {
      const socket = connect({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
      socket.setTimeout(500, () => socket.destroy());
      socket.once("data", (chunk) => {
        socket.destroy();
        resolvePing(chunk.toString("utf8").startsWith("+PONG"));
      });
      socket.once("error", () => resolvePing(false));
      socket.once("close", () => resolvePing(false));
    });
    if (answered) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs / 1000} s`);
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const exits = children
    .filter(({ child }) => child.exitCode === null && child.signalCode === null)
    .map(({ child }) => new Promise<void>((r) => {
      child.once("exit", () => r());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    }));
  await Promise.all(exits);
  process.exit(code);
}

process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));

const redis = process.env["REDIS_URL"] === undefined ? {} : { REDIS_URL: process.env["REDIS_URL"] };
// The console needs Redis for the event stream even when the stores are in memory.
let eventsRedisUrl = process.env["REDIS_URL"];
if (eventsRedisUrl === undefined && spawnSync("redis-server", ["--version"]).status === 0) {
  start("events", "", ["--port", String(eventsRedisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {}, "redis-server");
  await waitForRedis(eventsRedisPort);
  eventsRedisUrl = `redis://127.0.0.1:${eventsRedisPort}`;
}
const events: Record<string, string> = eventsRedisUrl === undefined ? {} : { EVENTS_REDIS_URL: eventsRedisUrl };
start("auth", "packages/auth-server/dist/main.js", ["--config", authConfigFile, "--port", String(ports.auth)], {
  ...redis,
  ...events,
  DEMO_CLI_CLIENT_SECRET: cli.clientSecret,
});
await waitFor("auth server", `${issuer}/.well-known/oauth-authorization-server`);
start("gateway", "packages/gateway/dist/main.js", ["--config", gatewayConfigFile, "--port", String(ports.gateway), "--admin-port", String(ports.admin)], { ...redis, ...events });
if (eventsRedisUrl === undefined) {
  process.stderr.write("console not started: it needs Redis for the event stream (install redis-server, or set REDIS_URL)\n");
} else {
  start("console", "packages/console/dist/main.js", ["--config", consoleConfigFile, "--port", String(ports.console)], {
    REDIS_URL: eventsRedisUrl,
    GATEHOUSE_ADMIN_TOKEN: consoleAdmin.adminToken,
  });
}
start("inventory", "examples/inventory/dist/main.js", [], {
  GATEHOUSE_CREDENTIALS: join(credentialsDir, "inventory.json"),
  PORT: String(ports.inventory),
});
start("orders", "examples/orders/dist/main.js", [], {
  GATEHOUSE_CREDENTIALS: join(credentialsDir, "orders.json"),
  PORT: String(ports.orders),
  GATEWAY_URL: gatewayUrl,
});
try {
  await waitFor("gateway", `http://127.0.0.1:${ports.admin}/healthz`);
  await waitFor("inventory", `http://127.0.0.1:${ports.inventory}/`);
  await waitFor("orders", `http://127.0.0.1:${ports.orders}/`);
  if (eventsRedisUrl !== undefined) await waitFor("console", `http://127.0.0.1:${ports.console}/healthz`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
process.stdout.write(
  walkthrough({
    ports,
    issuer,
    cliSecretFile: relative(root, join(credentialsDir, "demo-cli.json")),
    consoleCredentialFile: relative(root, join(credentialsDir, "console.json")),
    devDir: relative(root, devDir),
    redis: process.env["REDIS_URL"] !== undefined,
  }),
);
