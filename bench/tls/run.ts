// One command for the transport identity benchmark: `pnpm bench:tls` (see bench/README.md for options).
// The gateway with TLS on both legs against HAProxy doing the same job, keep-alive and a new connection per request;
// certificate issuance at the auth server's certificate endpoint; certificates and the CA rotated under load. Writes
// bench/tls/RESULTS.md. Every process it starts is stopped by PID at the end, on failure and on Ctrl-C.
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { benchIdentity, startAuthServer, writeSigningKeyPem, type AuthServer } from "../gateway/lib/auth.js";
import { benchPath, expectEnforced, expectStatus, startGateway, type GatewayTls, type GatewayUnderTest } from "../gateway/lib/gateway.js";
import { startHaproxy } from "../gateway/lib/haproxy.js";
import { ensureTools, machineFacts } from "../gateway/lib/machine.js";
import { freePort, waitForHttp, type ProbeTls } from "../gateway/lib/net.js";
import { computeRatios, type RatioTarget, type ScenarioResult } from "../gateway/lib/report.js";
import { benchArgs, integerFlag } from "../lib/cli.js";
import { ProcessGroup, type Started } from "../lib/processes.js";
import { runLoad } from "./lib/load.js";
import type { LoadResult, LoadSpec } from "./lib/load-spec.js";
import { fetchTrustBundle, gatewayService, issueIdentities, makeCsrs, serverName, tlsRegistry, trustDomain, trustingGetJson, type BenchPki } from "./lib/pki.js";
import { renderResults, type IssuanceResult, type RotationResult } from "./lib/report.js";
import { authCli, rawDir, resultsFile, serversDir } from "./paths.js";

const exec = promisify(execFile);

const argv = benchArgs();

const { values: flags } = parseArgs({
  args: argv,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "50" },
    "handshake-connections": { type: "string", default: "16" },
    "issuance-connections": { type: "string", default: "8" },
    csrs: { type: "string", default: "64" },
    "rotation-duration": { type: "string", default: "60" },
    "rotation-connections": { type: "string", default: "16" },
    "certificate-ttl": { type: "string", default: "20" },
    parts: { type: "string", default: "throughput,issuance,rotation" },
    label: { type: "string" },
    busy: { type: "boolean", default: false },
    results: { type: "string", default: resultsFile },
  },
  strict: true,
});

const rounds = integerFlag("rounds", flags.rounds);
const durationSec = integerFlag("duration", flags.duration);
const warmupSec = integerFlag("warmup", flags.warmup, 0);
const connections = integerFlag("connections", flags.connections);
const handshakeConnections = integerFlag("handshake-connections", flags["handshake-connections"]);
const issuanceConnections = integerFlag("issuance-connections", flags["issuance-connections"]);
const csrCount = integerFlag("csrs", flags.csrs);
const rotationSec = integerFlag("rotation-duration", flags["rotation-duration"], 30);
const rotationConnections = integerFlag("rotation-connections", flags["rotation-connections"]);
const certificateTtl = integerFlag("certificate-ttl", flags["certificate-ttl"], 10);
const parts = new Set(flags.parts.split(",").map((part) => part.trim()));
for (const part of parts) if (!["throughput", "issuance", "rotation"].includes(part)) throw new Error(`--parts: unknown part ${part}`);
/** Never reached: every request still costs a full Redis decision. */
const ratePerMinute = 10_000_000;
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const gatewaySecret = randomBytes(24).toString("base64url");
/** Tokens outlive the whole run (certificates of the throughput part too: the auth server's default hour). */
const tokenTtlSeconds = 3600;
/**
 * Under rotation every request is a new connection to the gateway and the origin closes its connections from the
 * proxy after this many requests: handshakes keep happening, so a certificate that expired or a CA nobody trusts
 * shows as failed requests (an established keep-alive connection would hide both).
 */
const rotationOriginRequestsPerConnection = 50;

/** Every throughput scenario, in the order of the tables. */
const scenarios = [
  { id: "origin", title: "origin direct, no proxy", what: "the load generator straight to the https origin, presenting the gateway's certificate, no token: the ceiling of the load generator and the machine (context)", handshake: false },
  { id: "gateway-1", title: "gateway, 1 process", what: "`node packages/gateway/dist/main.js`, HTTPS listener requiring a client certificate, bound tokens only, `https://` origin with its SPIFFE ID pinned", handshake: false },
  { id: "gateway-2", title: "gateway, --workers 2", what: "the same with `--workers 2`", handshake: false },
  { id: "haproxy-1", title: "HAProxy nbthread 1", what: "`bind … ssl crt … verify required ca-file …`, `jwt_verify` + stick table, `cnf.x5t#S256` = client certificate thumbprint, `server … ssl verify required ca-file … crt …`", handshake: false },
  { id: "haproxy-2", title: "HAProxy nbthread 2", what: "the same with `nbthread 2`", handshake: false },
  { id: "gateway-1-handshake", title: "gateway, 1 process, new connection per request", what: "gateway, 1 process: every request on a new TLS connection (full TLS 1.3 handshake with client certificate, no resumption)", handshake: true },
  { id: "haproxy-1-handshake", title: "HAProxy nbthread 1, new connection per request", what: "HAProxy nbthread 1: the same", handshake: true },
] as const;
type ScenarioId = (typeof scenarios)[number]["id"];

/** The targets of docs/performance-targets.md ("Transport identity"), per round; the handshake ratio beside them. */
const targets: readonly RatioTarget[] = [
  { name: "gateway 1 process / HAProxy nbthread 1, req/s", numerator: "gateway-1", denominator: "haproxy-1", metric: "rps", bound: 1.0, kind: "min" },
  { name: "gateway 1 process / HAProxy nbthread 1, p99", numerator: "gateway-1", denominator: "haproxy-1", metric: "p99Ms", bound: 1.25, kind: "max" },
  { name: "gateway --workers 2 / HAProxy nbthread 2, req/s", numerator: "gateway-2", denominator: "haproxy-2", metric: "rps", bound: 1.0, kind: "min" },
  { name: "new connection per request: gateway 1 process / HAProxy nbthread 1, req/s", numerator: "gateway-1-handshake", denominator: "haproxy-1-handshake", metric: "rps", bound: 1.0, kind: "min", informative: true },
];

function line(id: string, m: LoadResult): string {
  const failed = m.non2xx + m.socketErrors;
  return `${id.padEnd(22)} ${Math.round(m.rps).toString().padStart(7)} req/s  p50 ${m.p50Ms.toFixed(2)} ms  p99 ${m.p99Ms.toFixed(2)} ms${failed > 0 ? `  FAILED ${String(failed)}: ${JSON.stringify(m.failures)}` : ""}`;
}

const startedAt = new Date();
/** This run's generated configs, certificates, keys, CSRs and process logs. */
const dir = join(rawDir, startedAt.toISOString().replace(/[:.]/g, "-"));
await mkdir(dir, { recursive: true });
const group = new ProcessGroup(dir);
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`${signal}: stopping every process of the run`);
    void group.stopAll().then(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  ensureTools(["haproxy", "openssl"]);
  const load = { before: loadavg(), after: [] as number[] };
  const command = `pnpm bench:tls${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`;
  console.log(`${command}: raw output in ${dir}`);
  const notes: string[] = [];
  const configs: { name: string; language: string; text: string }[] = [];
  let throughput: ScenarioResult[] = [];
  let issuance: IssuanceResult | undefined;
  let rotation: RotationResult | undefined;
  try {
    if (parts.has("throughput") || parts.has("issuance")) {
      ({ throughput, issuance } = await throughputAndIssuance(notes, configs));
    }
    if (parts.has("rotation")) rotation = await rotationUnderLoad();
  } finally {
    await group.stopAll();
  }
  load.after = loadavg();
  const ratios = computeRatios(throughput, targets);
  const text = renderResults({
    facts: machineFacts(),
    settings: {
      command,
      label: flags.label ?? (flags.busy ? "busy-machine run: other work shared the cores, so no target is judged by it" : undefined),
      busy: flags.busy,
      startedAt: startedAt.toISOString(),
      rounds,
      durationSec,
      warmupSec,
      connections,
      handshakeConnections,
      issuanceConnections,
      csrCount,
      rotationSec,
      rotationConnections,
      certificateTtl,
      ratePerMinute,
      loadAverage: load,
      notes,
    },
    scenarios: throughput.map((s) => ({ ...s, rounds: s.rounds })),
    ratios,
    issuance,
    rotation,
    configs,
  });
  await writeFile(flags.results, text);
  console.log(`\nwritten ${flags.results}`);
  for (const r of ratios) console.log(`${r.name}: ${r.perRound.map((v) => v.toFixed(2)).join(" / ")} (median ${r.median.toFixed(2)}; target ${r.kind === "min" ? "≥" : "≤"} ${r.bound.toFixed(2)}${r.informative === true ? ", context" : ""}${flags.busy ? "; busy machine: not judged" : ""})`);
  if (issuance !== undefined) console.log(`certificate issuance: ${issuance.rounds.map((m) => Math.round(m.rps)).join(" / ")} CSRs signed per second`);
  if (rotation !== undefined) console.log(`rotation under load: ${String(rotation.load.non2xx + rotation.load.socketErrors)} failed of ${String(rotation.load.requests + rotation.load.socketErrors)} requests (target 0)`);
}

/** The gateway (1 process, --workers 2) and HAProxy (nbthread 1, 2) with TLS on both legs; then the certificate endpoint. */
async function throughputAndIssuance(
  notes: string[],
  configs: { name: string; language: string; text: string }[],
): Promise<{ throughput: ScenarioResult[]; issuance: IssuanceResult | undefined }> {
  const auth = await startTlsAuthServer("auth-server", {});
  const bundleFile = join(dir, "trust-bundle.pem");
  await fetchTrustBundle(auth.issuer, bundleFile);
  const pki = await issueIdentities(auth, dir, bundleFile, gatewaySecret);
  try {
    const bundle = await readFile(bundleFile, "utf8");
    const asGateway: ProbeTls = { ca: bundle, cert: pki.gateway.cert, key: pki.gateway.key, servername: serverName };
    const asClient: ProbeTls = { ca: bundle, cert: pki.client.cert, key: pki.client.key, servername: serverName };
    const originPort = await freePort();
    await startOrigin(auth, originPort, bundleFile, asGateway);
    const upstream = `https://${serverName}:${String(originPort)}`;
    const upstreamIdentity = `spiffe://${trustDomain}/${benchIdentity.target}`;
    const tls: GatewayTls = { source: "files", trustBundleFile: bundleFile, certFile: pki.gateway.certFile, keyFile: pki.gateway.keyFile, upstream, upstreamIdentity, probe: asClient };
    const urls = new Map<ScenarioId, string>([["origin", `https://127.0.0.1:${String(originPort)}${benchPath}`]]);
    let throughput: ScenarioResult[] = [];
    if (parts.has("throughput")) {
      const runId = randomUUID().slice(0, 8);
      for (const workers of [1, 2] as const) {
        const g = await startGateway(
          group,
          dir,
          { name: `gateway-${String(workers)}`, port: await freePort(), adminPort: await freePort(), workers, issuer: auth.issuer, originPort, redisUrl, keyPrefix: `bench:tls:${runId}:${String(workers)}:`, ratePerMinute, accessLog: false, tls },
          pki.boundToken,
        );
        await expectBindingEnforced(g.url, pki, bundle, g.name);
        urls.set(workers === 1 ? "gateway-1" : "gateway-2", g.url);
        if (workers === 1) urls.set("gateway-1-handshake", g.url);
        configs.push({ name: `gateway-${String(workers)}.json`, language: "json", text: await readFile(g.configFile, "utf8") });
      }
      const publicKeyFile = join(dir, "signing-key.pem");
      await writeSigningKeyPem(auth, pki.boundToken, publicKeyFile, trustingGetJson(bundle));
      for (const threads of [1, 2] as const) {
        const port = await freePort();
        await startHaproxy(group, dir, {
          port,
          threads,
          originPort,
          issuer: auth.issuer,
          audience: benchIdentity.audience,
          scope: benchIdentity.scope,
          service: benchIdentity.client,
          attributes: { environment: benchIdentity.attributes.environment },
          publicKeyFile,
          ratePerMinute,
          tls: { listenerPemFile: pki.gateway.pemFile, upstreamPemFile: pki.gateway.pemFile, trustBundleFile: bundleFile, upstreamName: serverName, probe: asClient },
        });
        const url = `https://127.0.0.1:${String(port)}${benchPath}`;
        await expectEnforced(url, pki.boundToken, `haproxy nbthread ${String(threads)}`, asClient);
        await expectBindingEnforced(url, pki, bundle, `haproxy nbthread ${String(threads)}`);
        urls.set(threads === 1 ? "haproxy-1" : "haproxy-2", url);
        if (threads === 1) urls.set("haproxy-1-handshake", url);
        configs.push({ name: `haproxy-tls-nbthread${String(threads)}.cfg`, language: "haproxy", text: await readFile(join(dir, `haproxy-tls-nbthread${String(threads)}.cfg`), "utf8") });
      }
      throughput = await measureThroughput(urls, pki);
      notes.push(
        "wrk cannot present a client certificate (it has no option for one), so every figure here comes from the benchmark's own load generator (`bench/tls/servers/load.ts`: undici `Pool`, one connection per in-flight request, fixed concurrency, one Node process), used identically for the gateway and HAProxy. It is slower than wrk and shares the cores: absolute figures are lower than `bench/gateway`'s and not comparable with them.",
      );
    }
    let issuance: IssuanceResult | undefined;
    if (parts.has("issuance")) issuance = await measureIssuance(auth, bundleFile);
    return { throughput, issuance };
  } finally {
    pki.close();
  }
}

/** An auth server with its CA, HTTPS (certificate from its own CA), the TLS benchmark's registry. */
function startTlsAuthServer(name: string, settings: Record<string, unknown>): Promise<AuthServer> {
  return freePort().then((port) =>
    startAuthServer(group, dir, port, tokenTtlSeconds, {
      name,
      settings: { trustDomain, ca: { generate: "memory" }, tls: { fromCa: true }, ...settings },
      services: tlsRegistry(),
      env: { [gatewayService.secretEnv]: gatewaySecret },
    }),
  );
}

/** The https origin (`servers/origin.js`): the SDK's createServiceServer letting in the gateway's certificate only. */
async function startOrigin(auth: AuthServer, port: number, bundleFile: string, asGateway: ProbeTls, name = "origin", maxRequestsPerConnection = 0): Promise<Started> {
  const started = group.spawn({
    name,
    command: process.execPath,
    args: [join(serversDir, "origin.js"), String(port), auth.issuer, bundleFile, String(maxRequestsPerConnection)],
    env: { ...process.env, BENCH_ORIGIN_SECRET: auth.originSecret },
  });
  await waitForHttp(`https://127.0.0.1:${String(port)}/`, started, 20_000, asGateway);
  return started;
}

/**
 * The binding is enforced before anything is measured: the bound token presented with another certificate of the
 * same CA (the gateway's) is refused with 401.
 */
async function expectBindingEnforced(url: string, pki: BenchPki, bundle: string, what: string): Promise<void> {
  const otherCertificate: ProbeTls = { ca: bundle, cert: pki.gateway.cert, key: pki.gateway.key, servername: serverName };
  await expectStatus(url, { authorization: `Bearer ${pki.boundToken}` }, 401, `${what} (bound token with another certificate)`, otherCertificate);
}

/** A throughput measurement: the caller's certificate and bound token (the origin direct: the gateway's certificate). */
function loadSpec(label: string, id: ScenarioId, url: string, pki: BenchPki, handshake: boolean): LoadSpec {
  const direct = id === "origin";
  const presented = direct ? pki.gateway : pki.client;
  return {
    label,
    url,
    method: "GET",
    headers: direct ? {} : { authorization: `Bearer ${pki.boundToken}` },
    connections: handshake ? handshakeConnections : connections,
    warmupSec,
    durationSec,
    newConnectionPerRequest: handshake,
    expectStatus: 200,
    tls: { caFile: pki.bundleFile, certFile: presented.certFile, keyFile: presented.keyFile, servername: serverName },
  };
}

/** Interleaved rounds: every scenario once per round, in an order rotated by one scenario per round. */
async function measureThroughput(urls: ReadonlyMap<ScenarioId, string>, pki: BenchPki): Promise<ScenarioResult[]> {
  const results = new Map<ScenarioId, LoadResult[]>();
  for (let round = 0; round < rounds; round++) {
    const order = [...scenarios.slice(round % scenarios.length), ...scenarios.slice(0, round % scenarios.length)];
    for (const scenario of order) {
      if (interrupted) throw new Error("interrupted");
      const url = urls.get(scenario.id);
      if (url === undefined) continue;
      const m = await runLoad(group, dir, loadSpec(`round ${String(round + 1)} ${scenario.id}`, scenario.id, url, pki, scenario.handshake));
      results.set(scenario.id, [...(results.get(scenario.id) ?? []), m]);
      console.log(`round ${String(round + 1)}/${String(rounds)} ${line(scenario.id, m)}`);
    }
  }
  return scenarios.map((s) => ({ id: s.id, title: s.title, what: s.what, rounds: results.get(s.id) ?? [], counters: [] }));
}

/** CSRs signed per second: a fixed set of pre-made CSRs posted concurrently to the certificate endpoint. */
async function measureIssuance(auth: AuthServer, bundleFile: string): Promise<IssuanceResult> {
  const csrFile = join(dir, "csrs.txt");
  await makeCsrs(csrCount, csrFile);
  const basic = Buffer.from(`${encodeURIComponent(benchIdentity.client)}:${encodeURIComponent(auth.clientSecret)}`).toString("base64");
  const measured: LoadResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const m = await runLoad(group, dir, {
      label: `round ${String(round + 1)} issuance`,
      url: `${auth.issuer}/certificates`,
      method: "POST",
      headers: { authorization: `Basic ${basic}`, "content-type": "application/pkcs10" },
      bodiesFile: csrFile,
      connections: issuanceConnections,
      warmupSec,
      durationSec,
      newConnectionPerRequest: false,
      expectStatus: 200,
      tls: { caFile: bundleFile },
    });
    measured.push(m);
    console.log(`round ${String(round + 1)}/${String(rounds)} ${line("issuance", m)}`);
  }
  return { rounds: measured, csrs: csrCount, connections: issuanceConnections };
}

/**
 * Certificates (TTL `--certificate-ttl`, renewed at half-life by the caller, the gateway and the origin) and the CA
 * (`gatehouse-auth ca rotate`: published, then signing, then the old CA retired) rotated while load runs through the
 * gateway; every failed request counted.
 */
async function rotationUnderLoad(): Promise<RotationResult> {
  const caFile = join(dir, "rotation-ca.json");
  await exec(process.execPath, [authCli, "ca", "generate", "--file", caFile, "--trust-domain", trustDomain]);
  const auth = await startTlsAuthServer("auth-rotation", { ca: { file: caFile, reloadIntervalSeconds: 1 }, certificates: { ttlSeconds: certificateTtl } });
  const bundleFile = join(dir, "rotation-trust-bundle.pem");
  await fetchTrustBundle(auth.issuer, bundleFile);
  const pki = await issueIdentities(auth, dir, bundleFile, gatewaySecret);
  let gateway: GatewayUnderTest;
  let origin: Started;
  try {
    const bundle = await readFile(bundleFile, "utf8");
    const asGateway: ProbeTls = { ca: bundle, cert: pki.gateway.cert, key: pki.gateway.key, servername: serverName };
    const asClient: ProbeTls = { ca: bundle, cert: pki.client.cert, key: pki.client.key, servername: serverName };
    const originPort = await freePort();
    origin = await startOrigin(auth, originPort, bundleFile, asGateway, "origin-rotation", rotationOriginRequestsPerConnection);
    const tls: GatewayTls = {
      source: "issuer",
      trustBundleFile: bundleFile,
      clientId: gatewayService.id,
      secretEnv: gatewayService.secretEnv,
      upstream: `https://${serverName}:${String(originPort)}`,
      upstreamIdentity: `spiffe://${trustDomain}/${benchIdentity.target}`,
      probe: asClient,
    };
    gateway = await startGateway(
      group,
      dir,
      { name: "gateway-rotation", port: await freePort(), adminPort: await freePort(), workers: 1, issuer: auth.issuer, originPort, redisUrl, keyPrefix: `bench:tls:${randomUUID().slice(0, 8)}:rotation:`, ratePerMinute, accessLog: false, tls, env: { [gatewayService.secretEnv]: gatewaySecret } },
      pki.boundToken,
    );
  } finally {
    pki.close();
  }
  const delay = Math.ceil(certificateTtl * 0.75);
  const retireAfter = certificateTtl + 5;
  const events: string[] = [];
  const t0 = Date.now();
  const at = (what: string) => events.push(`${((Date.now() - t0) / 1_000).toFixed(1)} s: ${what}`);
  at(`load starts: ${String(rotationConnections)} connections for ${String(rotationSec)} s; certificates live ${String(certificateTtl)} s and are renewed at half-life`);
  const loading = runLoad(
    group,
    dir,
    {
      label: "rotation under load",
      url: gateway.url,
      method: "GET",
      headers: {},
      connections: rotationConnections,
      warmupSec: 0,
      durationSec: rotationSec,
      newConnectionPerRequest: true,
      expectStatus: 200,
      tls: { caFile: bundleFile, servername: serverName },
      identity: { issuer: auth.issuer, clientId: benchIdentity.client, secretEnv: "BENCH_CLIENT_SECRET", resource: benchIdentity.audience, scope: benchIdentity.scope },
    },
    { BENCH_CLIENT_SECRET: auth.clientSecret },
  );
  const watched = loadingWithBundleWatch(loading, auth, at);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const rotate = ["ca", "rotate", "--file", caFile, "--trust-domain", trustDomain, "--delay", String(delay), "--retire-after", String(retireAfter)];
  await exec(process.execPath, [authCli, ...rotate]);
  at(`\`gatehouse-auth ${rotate.join(" ").replace(caFile, "rotation-ca.json")}\`: new CA published, signing from ${String(5 + delay)} s, old CA retired at ${String(5 + delay + retireAfter)} s`);
  const result = await watched;
  at(`load ends: ${String(result.requests)} answers, ${String(result.non2xx + result.socketErrors)} failed`);
  const originLog = await readFile(origin.logFile, "utf8");
  const gatewayLog = await readFile(gateway.process.logFile, "utf8");
  return {
    load: result,
    events,
    certificateTtl,
    durationSec: rotationSec,
    connections: rotationConnections,
    originRenewals: originLog.split("\n").filter((l) => l.startsWith("certificate renewed")).length,
    gatewayLogLines: gatewayLog.split("\n").filter((l) => /certificate|renew|rotat/i.test(l)).length,
  };
}

/** Waits for the load while noting every change of the published trust bundle (how many CAs it holds). */
async function loadingWithBundleWatch(loading: Promise<LoadResult>, auth: AuthServer, at: (what: string) => void): Promise<LoadResult> {
  let done = false;
  const result = loading.finally(() => (done = true));
  const { Agent, fetch } = await import("undici");
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  let last = -1;
  while (!done) {
    try {
      const text = await (await fetch(`${auth.issuer}/trust-bundle.pem`, { dispatcher: insecure, signal: AbortSignal.timeout(2_000) })).text();
      const count = text.split("BEGIN CERTIFICATE").length - 1;
      if (count !== last) at(`trust bundle holds ${String(count)} CA certificate(s)`);
      last = count;
    } catch {
      // the next poll tells
    }
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  }
  await insecure.close();
  return result;
}

await main().catch(async (error: unknown) => {
  console.error(error);
  await group.stopAll();
  process.exitCode = 1;
});
