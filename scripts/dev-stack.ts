// `pnpm start`: the whole Gatehouse stack on embedded defaults, no Docker.
// Auth server :4000 (admin API :4001), gateway :8080 (admin :9090), demo services orders :7001 and inventory :7002.
// The console :9400. Every hop is mutual TLS under a dev CA the auth server generates once (trust bundle:
// .gatehouse/dev/trust-bundle.pem). In-memory stores unless REDIS_URL is set; the security events go to REDIS_URL,
// else to a private redis-server (no persistence) on :6380 that this script starts and stops.
// Keys and configs live under .gatehouse/ (git-ignored).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { get } from "node:https";
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
  authAdmin: Number(process.env["AUTH_ADMIN_PORT"] ?? 4001),
  gateway: Number(process.env["GATEWAY_PORT"] ?? 8080),
  admin: Number(process.env["ADMIN_PORT"] ?? 9090),
  orders: Number(process.env["ORDERS_PORT"] ?? 7001),
  inventory: Number(process.env["INVENTORY_PORT"] ?? 7002),
  console: Number(process.env["CONSOLE_PORT"] ?? 9400),
};
const eventsRedisPort = Number(process.env["EVENTS_REDIS_PORT"] ?? 6380);
const issuer = `https://127.0.0.1:${ports.auth}`;
// The gateway's certificate names it by its SPIFFE ID and the DNS name `localhost` (its registered dnsNames).
const gatewayUrl = `https://localhost:${ports.gateway}`;
// The dev CA's certificates, written once the auth server has made (or loaded) its CA: what curl --cacert and every process trusts.
const trustBundleFile = join(devDir, "trust-bundle.pem");

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

/** A client secret, generated once (demo-cli's and the gateway's; the processes read them from the environment). */
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

const orders = keyCredentials("orders", "https://orders.internal");
const inventory = keyCredentials("inventory", "https://inventory.internal");
const cli = secretCredentials("demo-cli");
const gatewayClient = secretCredentials("gateway");
const adminFile = join(credentialsDir, "admin.json");
if (!existsSync(adminFile)) writeFileSync(adminFile, `${JSON.stringify({ token: randomBytes(32).toString("base64url") }, null, 2)}\n`, { mode: 0o600 });
// The admin API's bearer credential (GATEHOUSE_ADMIN_TOKEN), kept like the client secrets.
const adminToken = (JSON.parse(readFileSync(adminFile, "utf8")) as { token: string }).token;

const authConfigFile = join(devDir, "services.yaml");
const gatewayConfigFile = join(devDir, "gateway.yaml");
writeFileSync(authConfigFile, renderAuthConfig({ issuer, adminPort: ports.authAdmin, stateDir, orders: orders.publicJwk, inventory: inventory.publicJwk }));
writeFileSync(gatewayConfigFile, renderGatewayConfig({ issuer, ports, trustBundleFile }));
const consoleConfigFile = join(devDir, "console.yaml");
writeFileSync(consoleConfigFile, renderConsoleConfig({ issuer, adminUrl: `http://127.0.0.1:${ports.authAdmin}` }));

const children: { name: string; child: ChildProcess }[] = [];
/** The demo services that logged they are listening. */
const listening = new Set<string>();
let stopping = false;

function start(name: string, script: string, args: string[], env: Record<string, string>, command = process.execPath): void {
  const child = spawn(command, command === process.execPath ? [script, ...args] : args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `${name.padEnd(9)}| `;
  const forward = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line === "") continue;
      if (line.includes('"msg":"listening"')) listening.add(name);
      stream.write(`${prefix}${line}\n`);
    }
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

/** The status of a GET (over HTTPS: trusting the dev trust bundle); undefined when nothing answers. */
async function httpsStatus(url: string): Promise<number | undefined> {
  if (url.startsWith("http:")) {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    await response?.body?.cancel();
    return response?.status;
  }
  return new Promise((resolve) => {
    const request = get(url, { ca: readFileSync(trustBundleFile, "utf8"), timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(undefined));
  });
}

async function waitFor(name: string, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await httpsStatus(url);
    if (status !== undefined && status < 500) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Waits for a demo service's "listening" log line: they accept TLS connections from the gateway only, so a probe
 * from here would be refused (and logged as such).
 */
async function waitForListening(name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!listening.has(name)) {
    if (Date.now() > deadline) throw new Error(`${name} did not report listening within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the auth server's dev CA file and writes its certificates as the trust bundle. */
async function writeTrustBundle(timeoutMs = 30_000): Promise<void> {
  const caFile = join(stateDir, "ca.json");
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(caFile)) {
    if (Date.now() > deadline) throw new Error(`the auth server wrote no dev CA (${caFile}) within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const { authorities } = JSON.parse(readFileSync(caFile, "utf8")) as { authorities: { certificate: string }[] };
  writeFileSync(trustBundleFile, authorities.map((authority) => authority.certificate.trim()).join("\n") + "\n");
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
  GATEWAY_CLIENT_SECRET: gatewayClient.clientSecret,
  GATEHOUSE_ADMIN_TOKEN: adminToken,
});
try {
  await writeTrustBundle();
  await waitFor("auth server", `${issuer}/.well-known/oauth-authorization-server`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
const tls = { GATEHOUSE_TRUST_BUNDLE: trustBundleFile };
start("gateway", "packages/gateway/dist/main.js", ["--config", gatewayConfigFile, "--port", String(ports.gateway), "--admin-port", String(ports.admin)], { ...redis, ...events, GATEWAY_CLIENT_SECRET: gatewayClient.clientSecret });
if (eventsRedisUrl === undefined) {
  process.stderr.write("console not started: it needs Redis for the event stream (install redis-server, or set REDIS_URL)\n");
} else {
  // The console shares the auth server's dev admin credential (key ages from the admin API) and trusts the dev CA.
  start("console", "packages/console/dist/main.js", ["--config", consoleConfigFile, "--port", String(ports.console)], {
    REDIS_URL: eventsRedisUrl,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    NODE_EXTRA_CA_CERTS: trustBundleFile,
  });
}
start("inventory", "examples/inventory/dist/main.js", [], {
  ...tls,
  GATEHOUSE_CREDENTIALS: join(credentialsDir, "inventory.json"),
  PORT: String(ports.inventory),
});
start("orders", "examples/orders/dist/main.js", [], {
  ...tls,
  GATEHOUSE_CREDENTIALS: join(credentialsDir, "orders.json"),
  PORT: String(ports.orders),
  GATEWAY_URL: gatewayUrl,
});
try {
  await waitFor("gateway", `http://127.0.0.1:${ports.admin}/readyz`);
  await waitForListening("inventory");
  await waitForListening("orders");
  if (eventsRedisUrl !== undefined) await waitFor("console", `http://127.0.0.1:${ports.console}/healthz`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
}
process.stdout.write(walkthrough({ ports, issuer, cliSecretFile: relative(root, join(credentialsDir, "demo-cli.json")), adminFile: relative(root, adminFile), trustBundleFile: relative(root, trustBundleFile), devDir: relative(root, devDir), redis: process.env["REDIS_URL"] !== undefined }));
