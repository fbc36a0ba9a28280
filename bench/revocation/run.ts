// Propagation latency of a revocation: from the admin API's 201 to the first 401 at two gateway processes and one
// SDK-verified backend, over N trials. Usage: pnpm bench:revocation [-- --trials 100 --results FILE]
import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serversDir as gatewayServersDir, wrkScript } from "../gateway/paths.js";
import { ProcessGroup } from "../lib/processes.js";
import { runWrk } from "../lib/wrk.js";
import { authServerMain, gatewayMain, rawDir, resultsFile, serversDir } from "./paths.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    trials: { type: "string", default: "100" },
    preload: { type: "string", default: "0" },
    throughput: { type: "string", default: "0" },
    rounds: { type: "string", default: "5" },
    results: { type: "string", default: resultsFile },
  },
});
/**
 * Seconds per wrk measurement of the throughput comparison (0: none): gateway-1 (revocation checks, the preloaded
 * set) against the same gateway holding no revocation (subscribed to a second auth server with none) and against it
 * without a `revocation` section, interleaved over `--rounds` rounds.
 */
const throughputSeconds = Number(values.throughput);
if (!Number.isInteger(throughputSeconds) || throughputSeconds < 0) throw new Error("--throughput must be a non-negative integer");
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds must be a positive integer");
/** The target: gateway throughput with the set held, over the same gateway holding none (the median of the rounds). */
const THROUGHPUT_TARGET = 0.97;
const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 1) throw new Error("--trials must be a positive integer");
const preload = Number(values.preload);
if (!Number.isInteger(preload) || preload < 0) throw new Error("--preload must be a non-negative integer");

const ADMIN_TOKEN = `bench-admin-${randomUUID()}`;
const SECRETS = { GATEWAY_SECRET: `gw-${randomUUID()}`, INVENTORY_SECRET: `inv-${randomUUID()}`, ORDERS_SECRET: `ord-${randomUUID()}` };
const FEED = "https://gatehouse.internal/revocations";
const INVENTORY = "https://inventory.internal";
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The status of one GET (global fetch: keep-alive connections). */
async function status(url: string, token?: string): Promise<number> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const loadAtStart = loadavg()[0] ?? 0;
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const dir = join(rawDir, stamp);
mkdirSync(dir, { recursive: true });
const group = new ProcessGroup(dir);
process.on("SIGINT", () => void group.stopAll().then(() => process.exit(130)));

const env = { ...process.env, ...SECRETS, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, REDIS_URL: redisUrl, LOG_LEVEL: "warn" };

/** Starts an auth server with the admin API and the revocation feed on, its own keys and Redis prefix; its issuer. */
async function startAuthServer(name: string): Promise<string> {
  const authPort = await freePort();
  const issuer = `http://127.0.0.1:${String(authPort)}`;
  const secret = (variable: string) => ({ method: "client_secret_basic", secretEnv: variable });
  const authConfig = join(dir, `${name}.json`);
  writeFileSync(
    authConfig,
    JSON.stringify({
      issuer,
      keys: { generate: "persist", dir: join(dir, `${name}-keys`) },
      admin: { enabled: true, onPublicPort: true },
      // One token per trial: far above the default issuance ceiling of 5 a second per client and resource.
      issuance: { perSecond: 1000, burst: 1000 },
      revocation: { audience: FEED },
      redis: { keyPrefix: `bench:revocation:${randomUUID()}:` },
      services: {
        gatehouse: { resource: FEED, scopes: ["gatehouse:revocations"], auth: secret("GATEWAY_SECRET") },
        gateway: { auth: secret("GATEWAY_SECRET"), allow: { gatehouse: ["gatehouse:revocations"] } },
        inventory: { resource: INVENTORY, scopes: ["inventory:read"], auth: secret("INVENTORY_SECRET"), allow: { gatehouse: ["gatehouse:revocations"] } },
        orders: { auth: secret("ORDERS_SECRET"), allow: { inventory: ["inventory:read"] } },
      },
    }),
  );
  group.spawn({ name, command: process.execPath, args: [authServerMain, "--config", authConfig, "--port", String(authPort)], env });
  await waitFor(name, async () => (await status(`${issuer}/readyz`)) === 200);
  return issuer;
}

/** A client-credentials token of `orders` for the inventory at `issuer`, and its `jti`. */
async function mintAt(issuer: string): Promise<{ token: string; jti: string }> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`orders:${SECRETS.ORDERS_SECRET}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: INVENTORY, scope: "inventory:read" }).toString(),
  });
  const token = ((await response.json()) as { access_token: string }).access_token;
  return { token, jti: (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti };
}

/** Starts a gateway process on `config`; its proxy and admin base URLs once it is ready. */
async function startGatewayProcess(name: string, config: string): Promise<{ url: string; admin: string }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  group.spawn({ name, command: process.execPath, args: [gatewayMain, "--config", config, "--port", String(port), "--admin-port", String(adminPort)], env });
  const admin = `http://127.0.0.1:${String(adminPort)}`;
  await waitFor(name, async () => (await status(`${admin}/readyz`)) === 200);
  return { url: `http://127.0.0.1:${String(port)}`, admin };
}

try {
  const issuer = await startAuthServer("auth-server");

  // Revocations in force before any subscriber starts: their first snapshot carries them all.
  for (let done = 0; done < preload; ) {
    const batch = Math.min(50, preload - done);
    await Promise.all(
      Array.from({ length: batch }, async () => {
        const response = await fetch(`${issuer}/admin/revocations`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ jti: randomUUID() }),
        });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`preloading answered ${String(response.status)}`);
      }),
    );
    done += batch;
  }

  const backendPort = await freePort();
  const backend = `http://127.0.0.1:${String(backendPort)}`;
  group.spawn({ name: "sdk-backend", command: process.execPath, args: [join(serversDir, "sdk-backend.js"), String(backendPort), issuer, INVENTORY, FEED], env });
  // A fixed origin for the throughput comparison, so the SDK backend's own checks do not bound it.
  const originPort = await freePort();
  group.spawn({ name: "origin", command: process.execPath, args: [join(gatewayServersDir, "origin.js"), String(originPort)], env });
  const routes = [
    { name: "inventory", pathPrefix: "/api", upstreams: [backend], audience: INVENTORY, policy: { scopes: ["inventory:read"] } },
    { name: "bench", pathPrefix: "/bench", upstreams: [`http://127.0.0.1:${String(originPort)}`], audience: INVENTORY, policy: { scopes: ["inventory:read"] } },
  ];
  const gatewayConfigAt = (file: string, at: string, revocation: boolean) => {
    const config = join(dir, file);
    writeFileSync(
      config,
      JSON.stringify({
        issuer: at,
        ...(revocation ? { revocation: { feed: true, secretEnv: "GATEWAY_SECRET", resource: FEED } } : {}),
        accessLog: false,
        routes,
        rateLimiting: { keyPrefix: `bench:revocation:${randomUUID()}:` },
      }),
    );
    return config;
  };
  const gatewayConfig = gatewayConfigAt("gateway.json", issuer, true);
  const gateways: string[] = [];
  const adminUrls: string[] = [];
  for (const name of ["gateway-1", "gateway-2"]) {
    const started = await startGatewayProcess(name, gatewayConfig);
    gateways.push(`${started.url}/api/items`);
    adminUrls.push(started.admin);
  }
  /** What a gateway holds after its first snapshot (from its own metrics). */
  const entriesHeld = async (admin: string) => {
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    return Number(/^gatehouse_gateway_revocation_entries (\d+)/m.exec(metrics)?.[1] ?? "NaN");
  };
  const held = await Promise.all(adminUrls.map(entriesHeld));
  // The comparison points: the same gateway holding no revocation (its own auth server, which has none), and the
  // same gateway without a `revocation` section.
  let baselines: { empty: { url: string; token: string; held: number }; plain: { url: string } } | undefined;
  if (throughputSeconds > 0) {
    const emptyIssuer = await startAuthServer("auth-server-empty");
    const empty = await startGatewayProcess("gateway-empty", gatewayConfigAt("gateway-empty.json", emptyIssuer, true));
    const plain = await startGatewayProcess("gateway-plain", gatewayConfigAt("gateway-plain.json", issuer, false));
    baselines = {
      empty: { url: `${empty.url}/bench/items`, token: (await mintAt(emptyIssuer)).token, held: await entriesHeld(empty.admin) },
      plain: { url: `${plain.url}/bench/items` },
    };
  }
  const targets = [...gateways, `${backend}/items`];
  const names = ["gateway-1", "gateway-2", "sdk-backend"];

  const mint = () => mintAt(issuer);
  await waitFor("every target", async () => {
    const { token } = await mint();
    return (await Promise.all(targets.map((t) => status(t, token)))).every((s) => s === 200);
  });

  const latencies: number[][] = names.map(() => []);
  const slowest: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const { token, jti } = await mint();
    // Warm: the token is verified and cached everywhere before it is revoked.
    const warm = await Promise.all(targets.map((t) => status(t, token)));
    if (!warm.every((s) => s === 200)) throw new Error(`trial ${String(trial)}: warm-up answered ${warm.join(",")}`);
    const answer = await fetch(`${issuer}/admin/revocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ jti }),
    });
    await answer.arrayBuffer();
    const answered = performance.now();
    if (answer.status !== 201) throw new Error(`revocation answered ${String(answer.status)}`);
    const times = await Promise.all(
      targets.map(async (target) => {
        const deadline = answered + 5_000;
        for (;;) {
          if ((await status(target, token)) === 401) return performance.now() - answered;
          if (performance.now() > deadline) throw new Error(`${target} still accepts a token revoked 5 s ago`);
        }
      }),
    );
    times.forEach((ms, i) => latencies[i]?.push(ms));
    slowest.push(Math.max(...times));
  }

  // Throughput with the preloaded revocations in force against the same gateway holding none and without checks.
  const throughput: { withSet: number; empty: number; plain: number }[] = [];
  if (baselines !== undefined) {
    const { token } = await mint();
    const measure = (url: string, bearer: string, seconds: number, label: string) =>
      runWrk({ url, connections: 50, threads: 1, durationSec: seconds, rawLog: join(dir, "wrk.log"), label, headers: { authorization: `Bearer ${bearer}` }, script: wrkScript });
    const points = [
      { key: "withSet", url: (gateways[0] ?? "").replace("/api/items", "/bench/items"), token },
      { key: "empty", url: baselines.empty.url, token: baselines.empty.token },
      { key: "plain", url: baselines.plain.url, token },
    ] as const;
    for (const point of points) await measure(point.url, point.token, 2, "warm-up");
    for (let round = 0; round < rounds; round++) {
      // Each point first, middle and last in turn, so a drift of the machine does not favour one.
      const order = points.map((_, i) => points[(i + round) % points.length]!);
      const figures: Record<string, number> = {};
      for (const point of order) figures[point.key] = (await measure(point.url, point.token, throughputSeconds, `round ${String(round + 1)} ${point.key}`)).rps;
      const measured = { withSet: figures["withSet"] ?? Number.NaN, empty: figures["empty"] ?? Number.NaN, plain: figures["plain"] ?? Number.NaN };
      throughput.push(measured);
      console.log(`round ${String(round + 1)}: ${String(held[0])} revocations held ${String(Math.round(measured.withSet))} req/s, none held ${String(Math.round(measured.empty))} req/s, no checks ${String(Math.round(measured.plain))} req/s`);
    }
  }
  const medianRatio = (of: (t: (typeof throughput)[number]) => number) => percentile(throughput.map(of).sort((a, b) => a - b), 50);
  const throughputRatio = medianRatio((t) => t.withSet / t.empty);

  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `| ${name} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(1)} |`;
  };
  const report = [
    `Command: \`pnpm bench:revocation -- --trials ${String(trials)} --preload ${String(preload)}${throughputSeconds > 0 ? ` --throughput ${String(throughputSeconds)} --rounds ${String(rounds)}` : ""}\` (${String(preload)} revocations in force before the subscribers start; one auth server process on Redis, two gateway processes and one SDK-verified backend, all on 127.0.0.1).`,
    "",
    loadAtStart > cpus().length
      ? `**Busy-machine run** (load average ${loadAtStart.toFixed(1)} at the start on ${String(cpus().length)} cores): re-run on a quiet machine before comparing with a target.`
      : `Quiet machine (load average ${loadAtStart.toFixed(1)} at the start on ${String(cpus().length)} cores).`,
    "",
    `Run ${new Date().toISOString()}: ${String(trials)} trials, Node ${process.version}, ${String(cpus().length)} cores, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}.`,
    "",
    `Revocations held by the gateways after their first snapshot: ${held.join(", ")}.`,
    "",
    "Milliseconds from the admin API's 201 to the first 401 (polled back to back over keep-alive connections):",
    "",
    "| where | p50 | p99 | max |",
    "| --- | --- | --- | --- |",
    ...names.map((name, i) => row(name, latencies[i] ?? [])),
    row("all three refused", slowest),
    ...(throughput.length === 0 || baselines === undefined
      ? []
      : [
          "",
          `Throughput of gateway-1 (revocation checks on, ${String(held[0])} revocations held) against the same gateway holding ${String(baselines.empty.held)} (subscribed to a second auth server with none) and against it without a \`revocation\` section; reused token, fixed origin, wrk 50 connections, ${String(throughputSeconds)} s per measurement, ${String(rounds)} rounds, the order rotating each round:`,
          "",
          "| round | set held, req/s | none held, req/s | no checks, req/s | held ÷ none | held ÷ no checks |",
          "| --- | --- | --- | --- | --- | --- |",
          ...throughput.map(
            (t, i) =>
              `| ${String(i + 1)} | ${String(Math.round(t.withSet))} | ${String(Math.round(t.empty))} | ${String(Math.round(t.plain))} | ${(t.withSet / t.empty).toFixed(3)}× | ${(t.withSet / t.plain).toFixed(3)}× |`,
          ),
          `| median | | | | ${throughputRatio.toFixed(3)}× | ${medianRatio((t) => t.withSet / t.plain).toFixed(3)}× |`,
          "",
          `Target: ${String(held[0])} revocations held ÷ none held ≥ ${THROUGHPUT_TARGET.toFixed(2)}× (median): **${throughputRatio >= THROUGHPUT_TARGET ? "met" : "missed"}**. The "no checks" column is what the revocation check itself costs, informative.`,
        ]),
  ].join("\n");
  console.log(report);
  // Every run is kept: a new one is appended as its own section.
  if (existsSync(values.results)) appendFileSync(values.results, `\n## Run of ${new Date().toISOString()}\n\n${report}\n`);
  else writeFileSync(values.results, `# Revocation propagation: results\n\n## Run of ${new Date().toISOString()}\n\n${report}\n`);
} finally {
  await group.stopAll();
}
