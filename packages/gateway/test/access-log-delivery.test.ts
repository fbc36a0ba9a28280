import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { startAuthServer } from "./helpers/estate.js";
import { send } from "./helpers/http.js";
import { listening, MAIN, startProcess, type GatewayProcess } from "./helpers/process.js";
import { REDIS_URL, uniquePrefix } from "./helpers/redis.js";

// The access log is written asynchronously in batches: these tests hold the gateway process to "no line lost on a
// clean shutdown" and "a stdout nobody reads costs a bounded buffer and counted drops, never the service".

const ORDERS = "https://orders.internal";
const dir = mkdtempSync(join(tmpdir(), "gatehouse-access-log-"));
const started: GatewayProcess[] = [];

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let token: string;

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders");
  token = await auth.token("inventory", ORDERS, ["orders:read"]);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await backend.close();
  await auth.close();
});

function config(name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `issuer: ${auth.issuer}
rateLimiting: { keyPrefix: "${uniquePrefix(name)}", redisCommandTimeoutMs: 2000 }
routes:
  - name: orders
    pathPrefix: /api/orders
    upstreams: [${backend.url}]
    audience: ${ORDERS}
    policy: { scopes: [orders:read] }
`,
  );
  return file;
}

/** Sends `count` requests, `concurrency` at a time; resolves with the statuses. */
async function load(url: string, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      // Every fifth request has no token: its 401 is logged too.
      const headers: Record<string, string> = i % 5 === 0 ? {} : { authorization: `Bearer ${token}` };
      statuses.push((await send(`${url}/api/orders/${String(i)}`, { headers })).status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  if (match === null) throw new Error(`no ${name} in /metrics`);
  return Number(match[1]);
}

describe("access log delivery", () => {
  it("writes exactly one access line per request answered before SIGTERM, none lost at exit", async () => {
    const gateway = startProcess(["--config", config("delivery"), "--port", "0", "--admin-port", "0"], { REDIS_URL });
    started.push(gateway);
    const ready = await gateway.waitFor(listening);
    const count = 1500;
    const statuses = await load(`http://127.0.0.1:${String(ready["port"])}`, count, 20);
    expect(statuses.filter((s) => s === 200)).toHaveLength(count - count / 5);
    expect(statuses.filter((s) => s === 401)).toHaveLength(count / 5);
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited()).toBe(0);
    const access = gateway.lines.filter((l) => l["msg"] === "request");
    expect(access).toHaveLength(count);
    expect(new Set(access.map((l) => l["path"])).size).toBe(count);
  }, 60_000);

  it("with --workers 2, the workers write out their access lines before the primary exits on SIGTERM, lines whole", async () => {
    const gateway = startProcess(["--config", config("delivery-workers"), "--port", "0", "--admin-port", "0", "--workers", "2"], { REDIS_URL });
    started.push(gateway);
    await gateway.waitFor((l) => l["msg"] === "started workers");
    const ready = await gateway.waitFor(listening);
    const count = 1000;
    const statuses = await load(`http://127.0.0.1:${String(ready["port"])}`, count, 20);
    expect(statuses.filter((s) => s === 200 || s === 401)).toHaveLength(count);
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited()).toBe(0);
    // Every line parsed as JSON (the helper would have thrown on a torn one), one per request.
    const access = gateway.lines.filter((l) => l["msg"] === "request");
    expect(access).toHaveLength(count);
  }, 60_000);

  it("keeps serving when nobody reads its stdout: drops are counted, the buffer stays bounded, SIGTERM still exits", async () => {
    const bufferBytes = 64 * 1024;
    const child = spawn(process.execPath, [MAIN, "--config", config("stuck"), "--port", "0", "--admin-port", "0"], {
      env: { PATH: process.env["PATH"], LOG_LEVEL: "info", REDIS_URL, LOG_BUFFER_BYTES: String(bufferBytes) },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const exited = once(child, "exit");
    try {
      // Read up to the "listening" line, then stop reading: the pipe and the buffer fill up.
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => reject(new Error(`gateway did not start: ${text}`)), 15_000);
        const onData = (chunk: Buffer) => {
          text += chunk.toString("utf8");
          const line = text.split("\n").find((l) => l.includes('"gateway listening"'));
          if (line === undefined) return;
          clearTimeout(timer);
          child.stdout.off("data", onData);
          child.stdout.pause();
          resolve(JSON.parse(line) as Record<string, unknown>);
        };
        child.stdout.on("data", onData);
      });
      const url = `http://127.0.0.1:${String(ready["port"])}`;
      const admin = `http://127.0.0.1:${String(ready["adminPort"])}`;
      // About 300 bytes a line: several times what the pipe, the reading stream and the buffer can hold.
      const count = 4000;
      const statuses = await load(url, count, 20);
      expect(statuses.filter((s) => s === 200 || s === 401)).toHaveLength(count);
      const metrics = (await send(`${admin}/metrics`)).body;
      const dropped = metric(metrics, "gatehouse_gateway_log_lines_dropped_total");
      expect(dropped).toBeGreaterThan(count / 2);
      expect(dropped).toBeLessThanOrEqual(count);
      expect(metric(metrics, "gatehouse_gateway_log_buffer_bytes")).toBeLessThanOrEqual(bufferBytes);
      expect(metric(metrics, "gatehouse_gateway_process_resident_memory_bytes")).toBeLessThan(256 * 1024 * 1024);
      // Still serving after the drops.
      expect((await send(`${url}/api/orders/after`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const stoppedAt = Date.now();
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      // The log flush gives up after 2 s instead of waiting for a reader forever.
      expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
