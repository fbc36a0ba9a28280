// One command for the gateway benchmark: `pnpm bench:gateway` (see bench/README.md for options).
// Starts the origin, the http-proxy baseline, a real auth server, the gateway (one process and
// --workers 2) and HAProxy (nbthread 1 and 2), measures them with wrk in interleaved rounds,
// profiles the gateway, prints the tables and writes bench/gateway/RESULTS.md. Every process it
// starts is stopped by PID at the end, on failure and on Ctrl-C.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startAuthServer, mintTokens, writeSigningKeyPem, benchIdentity } from "./lib/auth.js";
import { benchPath, expectEnforced, startGateway, type GatewayOptions } from "./lib/gateway.js";
import { startHaproxy } from "./lib/haproxy.js";
import { describeDelta, readCounters } from "./lib/counters.js";
import { ensureTools, machineFacts } from "./lib/machine.js";
import { freePort, waitForHttp } from "./lib/net.js";
import { benchArgs, integerFlag, runWithProcessGroup } from "../lib/cli.js";
import type { ProcessGroup, Started } from "../lib/processes.js";
import { summarizeProfile } from "./lib/profile.js";
import { computeRatios, figuresTable, ratiosTable, renderResults, type RatioTarget, type Report, type RoundResult, type ScenarioResult } from "./lib/report.js";
import { countSyscalls, type SyscallCount } from "./lib/syscalls.js";
import { cpuScaling } from "../lib/cpu-probe.js";
import { cpuSeconds, processTreeCpuSeconds } from "../lib/cpu-time.js";
import { localRedisPid } from "../lib/redis-process.js";
import { runWrk, type Measurement } from "../lib/wrk.js";
import { appendRunLog } from "./lib/run-log.js";
import { rawDir, resultsFile, runLogFile, serversDir, wrkScript } from "./paths.js";

const argv = benchArgs();
const { values: flags } = parseArgs({
  args: argv,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    threads: { type: "string", default: "1" },
    tokens: { type: "string", default: "15000" },
    scenarios: { type: "string" },
    profile: { type: "boolean", default: true },
    syscalls: { type: "boolean", default: true },
    results: { type: "string", default: resultsFile },
  },
  allowNegative: true,
  strict: true,
});

const rounds = integerFlag("rounds", flags.rounds);
const durationSec = integerFlag("duration", flags.duration);
const warmupSec = integerFlag("warmup", flags.warmup);
const connections = integerFlag("connections", flags.connections);
const threads = integerFlag("threads", flags.threads);
const tokenRing = integerFlag("tokens", flags.tokens);
/** The gateway's default `verifier.cacheSize`; the token ring must be larger. */
const verifierCacheSize = 10_000;
if (tokenRing <= verifierCacheSize) {
  console.warn(`--tokens ${tokenRing} is not above the verifier cache (${verifierCacheSize}): the fresh-token scenario will hit the cache`);
}
/**
 * High enough never to trigger; low enough that the GCRA interval (60 s / limit) is not lost in the
 * Redis script's float arithmetic at epoch-millisecond magnitude (10⁹ per 60 s ends in `SET … PX 0`).
 */
const ratePerMinute = 10_000_000;
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** Every scenario, in the order of the tables. */
const allScenarios = [
  { id: "origin", title: "origin direct", what: "wrk → origin (node:http, fixed JSON body)" },
  {
    id: "http-proxy",
    title: "http-proxy 1.18.1 passthrough",
    what: "bare `http-proxy` 1.18.1 `createProxyServer({ target })`, library defaults (a new upstream connection per request), no auth, one Node process",
  },
  {
    id: "http-proxy-keepalive",
    title: "http-proxy 1.18.1 + keep-alive agent",
    what: "the same passthrough with `agent: new http.Agent({ keepAlive: true })` (upstream connections reused)",
  },
  { id: "gateway", title: "gateway, same token", what: "one gateway process, full job, the same token on every request (cache hits)" },
  {
    id: "gateway-events-off",
    title: "gateway, same token, security events off",
    what: "the same gateway with `events.enabled: false` (the other gateway scenarios publish to a stream of the run's own)",
  },
  { id: "gateway-fresh", title: "gateway, fresh token per request", what: "a gateway process of its own, full job, a different token on every request (cache misses)" },
  {
    id: "gateway-log",
    title: "gateway, same token, access log on",
    what: "one gateway process as operators run it by default: `accessLog: true`, one JSON line per request to stdout (a file here)",
  },
  { id: "haproxy-1", title: "HAProxy nbthread 1", what: "HAProxy, `nbthread 1`, `jwt_verify` + stick-table limit, same token" },
  { id: "gateway-workers-2", title: "gateway --workers 2, same token", what: "gateway with `--workers 2` (node:cluster), full job, same token" },
  {
    id: "gateway-workers-2-log",
    title: "gateway --workers 2, same token, access log on",
    what: "gateway with `--workers 2` and `accessLog: true`, both workers writing to one stdout",
  },
  { id: "haproxy-2", title: "HAProxy nbthread 2", what: "HAProxy, `nbthread 2`, same job, same token" },
] as const;
type ScenarioId = (typeof allScenarios)[number]["id"];

const selected = new Set<string>(flags.scenarios?.split(",").map((s) => s.trim()) ?? allScenarios.map((s) => s.id));
for (const id of selected) {
  if (!allScenarios.some((s) => s.id === id)) throw new Error(`unknown scenario ${id}; known: ${allScenarios.map((s) => s.id).join(", ")}`);
}
const scenarios = allScenarios.filter((s) => selected.has(s.id));

/**
 * The order scenarios are measured in within a round (the tables keep `allScenarios`' order): the two sides of each
 * target ratio next to each other (gateway beside HAProxy nbthread 1, its events-off twin and, one further, its
 * access-log twin; `--workers 2` beside HAProxy nbthread 2 and its access-log twin), so that a slow stretch of a
 * shared machine, which can last tens of seconds, falls on both sides of a ratio rather than on one.
 */
const measurementOrder: readonly ScenarioId[] = [
  "origin",
  "http-proxy-keepalive",
  "http-proxy",
  "gateway-fresh",
  "gateway-events-off",
  "gateway",
  "haproxy-1",
  "gateway-log",
  "haproxy-2",
  "gateway-workers-2",
  "gateway-workers-2-log",
];
const measured = measurementOrder.flatMap((id) => scenarios.filter((s) => s.id === id));
const wants = (...ids: ScenarioId[]) => ids.some((id) => selected.has(id));

const targets: RatioTarget[] = [
  { name: "gateway same token ÷ http-proxy, req/s", numerator: "gateway", denominator: "http-proxy", metric: "rps", bound: 1.25, kind: "min" },
  { name: "gateway same token ÷ http-proxy, p99", numerator: "gateway", denominator: "http-proxy", metric: "p99Ms", bound: 1, kind: "max" },
  { name: "gateway same token ÷ http-proxy with keep-alive agent, req/s", numerator: "gateway", denominator: "http-proxy-keepalive", metric: "rps", bound: 1.25, kind: "min", informative: true },
  { name: "gateway same token, security events on ÷ off, req/s", numerator: "gateway", denominator: "gateway-events-off", metric: "rps", bound: 0.97, kind: "min" },
  { name: "gateway fresh token ÷ http-proxy, req/s", numerator: "gateway-fresh", denominator: "http-proxy", metric: "rps", bound: 0.5, kind: "min" },
  { name: "gateway ÷ HAProxy nbthread 1, req/s", numerator: "gateway", denominator: "haproxy-1", metric: "rps", bound: 1.1, kind: "min" },
  { name: "gateway ÷ HAProxy nbthread 1, p99", numerator: "gateway", denominator: "haproxy-1", metric: "p99Ms", bound: 1.2, kind: "max" },
  { name: "gateway --workers 2 ÷ HAProxy nbthread 2, req/s", numerator: "gateway-workers-2", denominator: "haproxy-2", metric: "rps", bound: 1, kind: "min" },
  // What a request costs, whatever share of the machine each side got in its run: the server's CPU time plus Redis'.
  { name: "gateway ÷ HAProxy nbthread 1, CPU per request (server + Redis)", numerator: "gateway", denominator: "haproxy-1", metric: "cpuUs", bound: 1, kind: "max", informative: true },
  { name: "gateway --workers 2 ÷ HAProxy nbthread 2, CPU per request (server + Redis)", numerator: "gateway-workers-2", denominator: "haproxy-2", metric: "cpuUs", bound: 1, kind: "max", informative: true },
  { name: "gateway access log on ÷ off, req/s", numerator: "gateway-log", denominator: "gateway", metric: "rps", bound: 0.9, kind: "min" },
  { name: "gateway access log on ÷ HAProxy nbthread 1, req/s", numerator: "gateway-log", denominator: "haproxy-1", metric: "rps", bound: 1.1, kind: "min" },
  { name: "gateway --workers 2 access log on ÷ off, req/s", numerator: "gateway-workers-2-log", denominator: "gateway-workers-2", metric: "rps", bound: 0.9, kind: "min" },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(group: ProcessGroup, dir: string): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const probeBefore = await cpuScaling();
  console.log(`CPU probe: two busy processes reach ${probeBefore.factor.toFixed(2)}× one`);
  const facts = machineFacts();
  console.log(`machine: ${facts.cpuModel}, nproc ${facts.nproc}; ${facts.node}; ${facts.haproxy}; ${facts.wrk}`);
  const rawLog = join(dir, "wrk.log");

  const originPort = await freePort();
  const origin = group.spawn({ name: "origin", command: process.execPath, args: [join(serversDir, "origin.js"), String(originPort)] });
  await waitForHttp(`http://127.0.0.1:${originPort}/`, origin);

  const urls = new Map<ScenarioId, string>([["origin", `http://127.0.0.1:${originPort}${benchPath}`]]);
  /** Admin URLs of single-process gateways, whose counters describe every measurement. */
  const admins = new Map<ScenarioId, string>();
  /** The process serving each scenario (the primary of a `--workers 2` gateway): its CPU time is read around every measurement, and the system calls of three of them are counted. */
  const processes = new Map<ScenarioId, Started>([["origin", origin]]);
  for (const [id, mode] of [["http-proxy", "default"], ["http-proxy-keepalive", "keepalive"]] as const) {
    if (!wants(id)) continue;
    const port = await freePort();
    const proxy = group.spawn({ name: id, command: process.execPath, args: [join(serversDir, "passthrough.js"), String(port), `http://127.0.0.1:${originPort}`, mode] });
    await waitForHttp(`http://127.0.0.1:${port}/`, proxy);
    processes.set(id, proxy);
    urls.set(id, `http://127.0.0.1:${port}${benchPath}`);
  }

  let token = "";
  let issuer = "";
  let ring: { file: string; offset: number } | undefined;
  const notes: string[] = [];
  if (wants("gateway", "gateway-fresh", "gateway-events-off", "gateway-log", "gateway-workers-2", "gateway-workers-2-log", "haproxy-1", "haproxy-2")) {
    // Long enough for the whole run, so that no token expires while it is being measured.
    const auth = await startAuthServer(group, dir, await freePort(), 3_600);
    [token = ""] = await mintTokens(auth, 1);
    issuer = auth.issuer;
    console.log(`auth server ${issuer}: minted the reused token`);
    if (wants("gateway-fresh")) {
      const started = Date.now();
      const tokens = await mintTokens(auth, tokenRing, 16);
      const file = join(dir, "tokens.txt");
      await writeFile(file, `${tokens.join("\n")}\n`);
      ring = { file, offset: 0 };
      const seconds = (Date.now() - started) / 1_000;
      console.log(`minted ${tokens.length} fresh tokens in ${seconds.toFixed(1)} s`);
      notes.push(`Minting the ${int(tokens.length)} fresh tokens took ${seconds.toFixed(1)} s before the rounds (${int(tokens.length / seconds)} tokens/s, 16 at a time).`);
    }
    const gatewayBase = { issuer: auth.issuer, originPort, redisUrl, ratePerMinute, accessLog: false } as const;
    const runId = `${process.pid}-${Date.now()}`;
    if (wants("gateway")) {
      const g = await startGateway(group, dir, { ...gatewayBase, name: "gateway", workers: 1, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:g1:` }, token);
      urls.set("gateway", g.url);
      admins.set("gateway", g.adminUrl);
      processes.set("gateway", g.process);
    }
    if (wants("gateway-fresh")) {
      // A process of its own: its verified-token cache fills with the ring's tokens (10,000 entries, a larger heap to
      // collect), which must not weigh on the same-token gateway that the other ratios divide by.
      const g = await startGateway(group, dir, { ...gatewayBase, name: "gateway-fresh", workers: 1, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:gf:` }, token);
      urls.set("gateway-fresh", g.url);
      admins.set("gateway-fresh", g.adminUrl);
      processes.set("gateway-fresh", g.process);
    }
    if (wants("gateway-events-off")) {
      const g = await startGateway(
        group,
        dir,
        { ...gatewayBase, name: "gateway-events-off", events: false, workers: 1, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:g0:` },
        token,
      );
      urls.set("gateway-events-off", g.url);
      admins.set("gateway-events-off", g.adminUrl);
      processes.set("gateway-events-off", g.process);
    }
    if (wants("gateway-log")) {
      const g = await startGateway(group, dir, { ...gatewayBase, accessLog: true, name: "gateway-log", workers: 1, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:gl:` }, token);
      urls.set("gateway-log", g.url);
      admins.set("gateway-log", g.adminUrl);
      processes.set("gateway-log", g.process);
    }
    if (wants("gateway-workers-2")) {
      const g = await startGateway(group, dir, { ...gatewayBase, name: "gateway-workers-2", workers: 2, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:g2:` }, token);
      urls.set("gateway-workers-2", g.url);
      processes.set("gateway-workers-2", g.process);
    }
    if (wants("gateway-workers-2-log")) {
      const g = await startGateway(group, dir, { ...gatewayBase, accessLog: true, name: "gateway-workers-2-log", workers: 2, port: await freePort(), adminPort: await freePort(), keyPrefix: `bench:${runId}:g2l:` }, token);
      urls.set("gateway-workers-2-log", g.url);
      processes.set("gateway-workers-2-log", g.process);
    }
    if (wants("haproxy-1", "haproxy-2")) {
      const pem = join(dir, "signing-key.pem");
      await writeSigningKeyPem(auth, token, pem);
      for (const threadsN of [1, 2] as const) {
        const id = threadsN === 1 ? "haproxy-1" : "haproxy-2";
        if (!wants(id)) continue;
        const port = await freePort();
        const haproxy = await startHaproxy(group, dir, {
          port,
          threads: threadsN,
          originPort,
          issuer: auth.issuer,
          audience: benchIdentity.audience,
          scope: benchIdentity.scope,
          service: benchIdentity.client,
          attributes: { environment: benchIdentity.attributes.environment },
          publicKeyFile: pem,
          ratePerMinute,
        });
        const url = `http://127.0.0.1:${port}${benchPath}`;
        await expectEnforced(url, token, id);
        urls.set(id, url);
        processes.set(id, haproxy);
      }
    }
  }

  const results = new Map<ScenarioId, RoundResult[]>(scenarios.map((s) => [s.id, []]));
  const redisPid = await localRedisPid(redisUrl);
  if (redisPid === undefined) notes.push(`Redis at ${redisUrl} is not a process of this machine: its CPU time per request was not read.`);
  const counters = new Map<ScenarioId, string[]>(scenarios.map((s) => [s.id, []]));
  const measure = async (id: ScenarioId, seconds: number, label: string): Promise<Measurement> => {
    const url = urls.get(id);
    if (url === undefined) throw new Error(`no server for scenario ${id}`);
    const usesToken = id !== "origin" && id !== "http-proxy" && id !== "http-proxy-keepalive";
    const m = await runWrk({
      url,
      connections,
      threads,
      durationSec: seconds,
      rawLog,
      label,
      ...(usesToken && id !== "gateway-fresh" ? { headers: { authorization: `Bearer ${token}` } } : {}),
      script: wrkScript,
      ...(id === "gateway-fresh" && ring !== undefined ? { scriptArgs: [ring.file, String(threads), String(ring.offset)] } : {}),
    });
    // The next run continues the ring where this one stopped (plus the requests still in flight).
    if (id === "gateway-fresh" && ring !== undefined) ring.offset = (ring.offset + m.requests + connections) % tokenRing;
    return m;
  };

  for (let round = 0; round < rounds; round++) {
    // Each round starts one scenario later, and every other round runs backwards: the two scenarios of a ratio are
    // measured in both orders, so whatever one leaves behind (sockets in TIME_WAIT, a warm or cold cache) does not
    // always fall on the other.
    const rotated = measured.map((_, i) => measured[(i + round) % measured.length]).filter((s) => s !== undefined);
    const order = round % 2 === 0 ? rotated : rotated.reverse();
    for (const scenario of order) {
      await measure(scenario.id, warmupSec, `round ${round + 1} ${scenario.id} warm-up`);
      await sleep(500);
      const admin = admins.get(scenario.id);
      const before = admin === undefined ? undefined : await readCounters(admin);
      const server = processes.get(scenario.id);
      const cpuBefore = { server: server === undefined ? 0 : processTreeCpuSeconds(server.pid), redis: redisPid === undefined ? 0 : cpuSeconds(redisPid) };
      const m = await measure(scenario.id, durationSec, `round ${round + 1} ${scenario.id}`);
      const perRequestUs = (seconds: number) => (seconds * 1e6) / Math.max(1, m.requests);
      const measured: RoundResult = {
        ...m,
        ...(server === undefined ? {} : { serverCpuUs: perRequestUs(processTreeCpuSeconds(server.pid) - cpuBefore.server) }),
        ...(redisPid === undefined ? {} : { redisCpuUs: perRequestUs(cpuSeconds(redisPid) - cpuBefore.redis) }),
      };
      results.get(scenario.id)?.push(measured);
      if (admin !== undefined && before !== undefined) {
        const delta = describeDelta(before, await readCounters(admin));
        counters.get(scenario.id)?.push(delta);
        console.log(`  ${scenario.id}: ${delta}`);
      }
      console.log(
        `round ${round + 1}/${rounds} ${scenario.id.padEnd(18)} ${Math.round(m.rps).toString().padStart(7)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms` +
          (measured.serverCpuUs === undefined ? "" : `  CPU ${measured.serverCpuUs.toFixed(0)} µs/request (Redis ${(measured.redisCpuUs ?? 0).toFixed(0)})`) +
          (m.non2xx + m.socketErrors > 0 ? `  non-2xx ${m.non2xx} socket errors ${m.socketErrors}` : ""),
      );
      await sleep(500);
    }
  }

  const syscalls: SyscallCount[] = [];
  if (flags.syscalls) {
    for (const id of ["http-proxy-keepalive", "gateway", "haproxy-1"] as const) {
      const target = processes.get(id);
      if (target === undefined) continue;
      const count = await countSyscalls(group, dir, id, target, () => measure(id, 3, `strace ${id}`));
      syscalls.push(count);
      console.log(`system calls per request, ${id}: ${count.totalPerRequest.toFixed(2)} (${count.perRequest.slice(0, 5).map((e) => `${e.name} ${e.calls.toFixed(2)}`).join(", ")})`);
    }
  }

  let profile: Report["profile"];
  if (flags.profile && urls.has("gateway")) {
    profile = await profileGateway(group, dir, { token, issuer, originPort });
  }

  const scenarioResults: ScenarioResult[] = scenarios.map((s) => ({ ...s, rounds: results.get(s.id) ?? [], counters: counters.get(s.id) ?? [] }));
  const unclean = scenarioResults.filter((s) => s.rounds.some((m) => m.non2xx + m.socketErrors > 0)).map((s) => s.title);
  if (unclean.length > 0) {
    notes.push(`**Not clean:** ${unclean.join(", ")} had non-2xx answers or socket errors in a measured run (see the figures); those figures include failures.`);
  }
  const probeAfter = await cpuScaling();
  console.log(`CPU probe: two busy processes reach ${probeAfter.factor.toFixed(2)}× one`);
  notes.push(
    `Second core (probe: ES256 signatures/s of two busy processes over one; 2.0 = a free second core, 1.0 = none): ${probeBefore.factor.toFixed(2)}× before the rounds, ${probeAfter.factor.toFixed(2)}× after. Below about 1.5×, no \`--workers 2\` or \`nbthread 2\` figure of this run can scale.`,
  );
  const report: Report = {
    facts,
    settings: {
      command: `pnpm bench:gateway${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
      startedAt,
      rounds,
      durationSec,
      warmupSec,
      connections,
      wrkThreads: threads,
      tokenRing,
      verifierCacheSize,
      ratePerMinute,
      loadAverage: { before: loadBefore, after: loadavg() },
      notes: [
        "Access logs are off on both sides (the gateway's `accessLog: false`, no `log` in HAProxy) except in the two \"access log on\" scenarios, where the gateway writes its default access log to stdout (a file); metrics stay on in the gateway.",
        ...notes,
      ],
    },
    scenarios: scenarioResults,
    ratios: computeRatios(scenarioResults, targets),
    ...(profile === undefined ? {} : { profile }),
    configs: await generatedConfigs(dir),
    syscalls: syscalls.map((count) => ({ ...count, title: scenarios.find((s) => s.id === count.scenario)?.title ?? count.scenario })),
  };
  console.log(`\n${figuresTable(report.scenarios)}\n\n${ratiosTable(report.ratios)}\n`);
  await writeFile(flags.results, renderResults(report));
  await appendRunLog(runLogFile, {
    startedAt,
    command: report.settings.command,
    loadBefore: report.settings.loadAverage.before,
    loadAfter: report.settings.loadAverage.after,
    probeBefore: probeBefore.factor,
    probeAfter: probeAfter.factor,
    ratios: report.ratios,
  });
  console.log(`wrote ${flags.results}, appended to ${runLogFile}; raw output in ${dir}`);
}

/** A separate single gateway process under `--cpu-prof`, loaded with the reused token. */
async function profileGateway(
  group: ProcessGroup,
  dir: string,
  { token, issuer, originPort }: { token: string; issuer: string; originPort: number },
): Promise<NonNullable<Report["profile"]>> {
  const profileDir = join(dir, "profile");
  await mkdir(profileDir, { recursive: true });
  const options: GatewayOptions = {
    name: "gateway-profile",
    workers: 1,
    port: await freePort(),
    adminPort: await freePort(),
    issuer,
    originPort,
    redisUrl,
    keyPrefix: `bench:${process.pid}-${Date.now()}:prof:`,
    ratePerMinute,
    accessLog: false,
    nodeArgs: ["--cpu-prof", "--cpu-prof-interval=250", `--cpu-prof-dir=${profileDir}`],
  };
  const g = await startGateway(group, dir, options, token);
  const headers = { authorization: `Bearer ${token}` };
  const rawLog = join(dir, "wrk.log");
  await runWrk({ url: g.url, script: wrkScript, connections, threads, durationSec: warmupSec, headers, rawLog, label: "profile warm-up" });
  const measureStart = performance.now();
  const measurement = await runWrk({ url: g.url, script: wrkScript, connections, threads, durationSec, headers, rawLog, label: "profile" });
  const measureEnd = performance.now();
  const exit = await group.stop(g.process, 15_000);
  const exitAt = performance.now();
  // Only the measured load counts, less 250 ms at each edge: not start-up, warm-up or shutdown.
  const window = { fromEndUs: (exitAt - measureStart - 250) * 1_000, toEndUs: (exitAt - measureEnd + 250) * 1_000 };
  // One file per process that ran; the busiest one is the process that served the load.
  const summaries = (await readdir(profileDir)).filter((f) => f.endsWith(".cpuprofile")).map((f) => summarizeProfile(join(profileDir, f), window));
  const summary = summaries.sort((a, b) => b.busySamples - a.busySamples)[0];
  if (summary === undefined) throw new Error(`the profiled gateway exited (${exit}) without writing a profile into ${profileDir}`);
  console.log(`profile: ${summary.file} at ${Math.round(measurement.rps)} req/s`);
  return { summary, measurement, scenario: "same token reused" };
}

/** The generated gateway and HAProxy configs of this run, for the appendix of the results. */
async function generatedConfigs(dir: string): Promise<{ name: string; language: string; text: string }[]> {
  const wanted = ["gateway.json", "gateway-workers-2.json", "haproxy-nbthread1.cfg", "haproxy-nbthread2.cfg", "auth-server.json"];
  const present = new Set(await readdir(dir));
  return Promise.all(
    wanted.filter((name) => present.has(name)).map(async (name) => ({ name, language: name.endsWith(".json") ? "json" : "haproxy", text: await readFile(join(dir, name), "utf8") })),
  );
}

function int(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

const dir = join(rawDir, new Date().toISOString().replace(/[:.]/g, "-"));
await mkdir(dir, { recursive: true });
ensureTools(["wrk", "haproxy", ...(flags.syscalls ? ["strace"] : [])]);
await runWithProcessGroup(dir, (group) => main(group, dir));
