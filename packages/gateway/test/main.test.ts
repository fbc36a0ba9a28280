import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { startAuthServer } from "./helpers/estate.js";
import { json, send } from "./helpers/http.js";
import { listening, startProcess, type GatewayProcess } from "./helpers/process.js";
import { REDIS_URL, uniquePrefix } from "./helpers/redis.js";

const ORDERS = "https://orders.internal";
const dir = mkdtempSync(join(tmpdir(), "gatehouse-gateway-"));
const started: GatewayProcess[] = [];

let auth: Awaited<ReturnType<typeof startAuthServer>>;
let backend: Backend;
let token: string;

beforeAll(async () => {
  auth = await startAuthServer();
  backend = await startBackend("orders", (_req, res, seen) => {
    const delay = seen.url.startsWith("/api/orders/slow") ? 800 : 0;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: seen.url }));
    }, delay);
  });
  token = await auth.token("inventory", ORDERS, ["orders:read"]);
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await backend.close();
  await auth.close();
});

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function configText(prefix: string, extraRoutes = "", top = ""): string {
  return `${top}issuer: ${auth.issuer}
# A loaded test machine can stall Redis replies past the 250 ms default, which would (rightly)
# switch to the local fallback; these tests are about exactness through Redis.
rateLimiting: { keyPrefix: "${prefix}", redisCommandTimeoutMs: 2000 }
routes:
  - name: orders
    pathPrefix: /api/orders
    upstreams: [${backend.url}]
    audience: ${ORDERS}
    policy: { scopes: [orders:read] }
    rateLimit: { limit: 10, windowSeconds: 60 }
${extraRoutes}`;
}

async function launch(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ process: GatewayProcess; url: string; adminUrl: string }> {
  const process = startProcess(["--config", file, "--host", "127.0.0.1", "--port", "0", "--admin-port", "0"], { REDIS_URL, ...env });
  started.push(process);
  const line = await process.waitFor(listening);
  return { process, url: `http://127.0.0.1:${String(line["port"])}`, adminUrl: `http://127.0.0.1:${String(line["adminPort"])}` };
}

const call = (url: string, path = "/api/orders") => send(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });

describe("node dist/main.js", () => {
  it("refuses to start on a bad config file, naming the file and the dotted path", async () => {
    const file = writeConfig("bad.yaml", `issuer: ${auth.issuer}\nroutes:\n  - name: x\n    pathPrefix: /x\n    upstreams: [ftp://nope]\n    audience: a\n`);
    const process = startProcess(["--config", file]);
    expect(await process.exited()).toBe(78);
    expect(process.lines.at(-1)).toMatchObject({
      level: 60,
      code: "invalid_config",
      msg: `gateway not started: ${file}: routes.0.upstreams.0: must be an http:// or https:// URL`,
    });
  });

  it("refuses --workers above 1 without REDIS_URL", async () => {
    const file = writeConfig("workers.yaml", configText(uniquePrefix("workers")));
    const process = startProcess(["--config", file, "--workers", "2"]);
    expect(await process.exited()).toBe(64);
    expect(process.lines.at(-1)?.["msg"]).toBe(
      "gateway not started: --workers above 1 requires REDIS_URL: rate limits are exact across processes only through Redis",
    );
  });

  it("keeps limits exact across two gateway processes sharing Redis", async () => {
    const file = writeConfig("shared.yaml", configText(uniquePrefix("shared")));
    const [a, b] = await Promise.all([launch(file), launch(file)]);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i % 2 === 0 ? a.url : b.url)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    await Promise.all([a.process.stop(), b.process.stop()]);
  });

  it("runs --workers 2 sharing the port, exact through Redis, and stops both on SIGTERM", async () => {
    const file = writeConfig("cluster.yaml", configText(uniquePrefix("cluster")));
    const process = startProcess(["--config", file, "--port", "0", "--admin-port", "0", "--workers", "2"], { REDIS_URL });
    started.push(process);
    const primary = await process.waitFor((l) => l["msg"] === "started workers");
    const first = await process.waitFor(listening);
    // Two worker processes really started: two distinct pids, neither the primary's.
    await process.waitFor(() => process.lines.filter(listening).length >= 2);
    const workerPids = new Set(process.lines.filter(listening).map((l) => l["pid"]));
    expect(workerPids.size).toBe(2);
    expect(workerPids.has(primary["pid"])).toBe(false);
    // Port 0 under cluster: the primary hands every worker the same listening socket.
    const url = `http://127.0.0.1:${String(first["port"])}`;
    const statuses = (await Promise.all(Array.from({ length: 16 }, () => call(url)))).map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    process.child.kill("SIGTERM");
    expect(await process.exited()).toBe(0);
  });

  it("serves /healthz and /readyz on the admin port", async () => {
    const { process, adminUrl } = await launch(writeConfig("admin.yaml", configText(uniquePrefix("admin"))));
    expect(json(await send(`${adminUrl}/healthz`))).toEqual({ status: "ok" });
    const deadline = Date.now() + 5_000;
    let ready = await send(`${adminUrl}/readyz`);
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = await send(`${adminUrl}/readyz`);
    }
    expect(json(ready)).toEqual({ status: "ready", checks: { rateLimitStore: "ok", verificationKeys: "ok", accepting: "ok" } });
    expect((await send(`${adminUrl}/metrics`)).body).toContain("gatehouse_gateway_ready 1");
    await process.stop();
  });

  it("reloads the route table on SIGHUP, and keeps it when the new file is bad or changes start-only settings", async () => {
    const prefix = uniquePrefix("reload");
    const file = writeConfig("reload.yaml", configText(prefix));
    const { process, url } = await launch(file);
    expect((await call(url, "/api/extra")).status).toBe(404);

    writeFileSync(
      file,
      configText(prefix, `  - name: extra\n    pathPrefix: /api/extra\n    upstreams: [${backend.url}]\n    audience: ${ORDERS}\n`),
    );
    process.child.kill("SIGHUP");
    await process.waitFor((l) => l["msg"] === "route table reloaded");
    expect(json(await call(url, "/api/extra/1"))).toEqual({ path: "/api/extra/1" });

    writeFileSync(file, "routes: [oops");
    process.child.kill("SIGHUP");
    const refused = await process.waitFor((l) => typeof l["msg"] === "string" && l["msg"].startsWith("config not reloaded, keeping"));
    expect(refused["msg"]).toContain(`${file}: not valid YAML`);
    expect((await call(url, "/api/extra/1")).status).toBe(200);

    writeFileSync(file, configText(prefix, "", "realm: elsewhere\n"));
    process.child.kill("SIGHUP");
    const startOnly = await process.waitFor((l) => typeof l["msg"] === "string" && l["msg"].startsWith("config not reloaded: realm"));
    expect(startOnly["msg"]).toBe("config not reloaded: realm changed and apply only at start; restart the gateway");
    expect((await call(url, "/api/extra/1")).status).toBe(200);
    await process.stop();
  });

  it("drains an in-flight request on SIGTERM, then exits 0", async () => {
    const { process, url } = await launch(writeConfig("drain.yaml", configText(uniquePrefix("drain"))));
    const inFlight = call(url, "/api/orders/slow");
    // Signal only once the backend holds the request (it answers 800 ms later).
    while (!backend.seen.some((s) => s.url === "/api/orders/slow")) await new Promise((resolve) => setTimeout(resolve, 10));
    process.child.kill("SIGTERM");
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ path: "/api/orders/slow" });
    expect(await process.exited()).toBe(0);
  });
});
