// What the access log costs, A/B: `pnpm bench:gateway-log` (see bench/README.md for options).
// Starts the origin, a real auth server and two gateway processes of this checkout, access log off and on (and, with
// `--baseline <checkout>`, a third: the gateway built in another checkout, access log on), measures them with wrk in
// rounds whose order rotates, and reports req/s and the gateway's own CPU time per request (from /proc) per round, so
// that a change to the logging is judged against the same machine in the same minutes. Every run is appended to
// bench/gateway/ACCESS-LOG.md. Every process it starts is stopped by PID at the end, on failure and on Ctrl-C.
import { appendFile, mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { mintTokens, startAuthServer } from "./lib/auth.js";
import { startGateway, type GatewayUnderTest } from "./lib/gateway.js";
import { ensureTools, machineFacts } from "./lib/machine.js";
import { freePort, waitForHttp } from "./lib/net.js";
import { benchArgs, integerFlag, runWithProcessGroup } from "../lib/cli.js";
import { processTreeCpuSeconds } from "../lib/cpu-time.js";
import type { ProcessGroup } from "../lib/processes.js";
import { runWrk, type Measurement } from "../lib/wrk.js";
import { gatewayMain, rawDir, repoDir, serversDir, sourceDir, wrkScript } from "./paths.js";

const { values: flags } = parseArgs({
  args: benchArgs(),
  options: {
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "5" },
    workers: { type: "string", default: "1" },
    connections: { type: "string", default: "50" },
    baseline: { type: "string" },
  },
  strict: true,
});

const rounds = integerFlag("rounds", flags.rounds);
const durationSec = integerFlag("duration", flags.duration);
const workers = integerFlag("workers", flags.workers);
const connections = integerFlag("connections", flags.connections);
const baselineMain = flags.baseline === undefined ? undefined : join(resolve(flags.baseline), "packages", "gateway", "dist", "main.js");
const logFile = join(sourceDir, "ACCESS-LOG.md");
const redisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
interface Variant {
  readonly id: string;
  readonly what: string;
  gateway?: GatewayUnderTest;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(group: ProcessGroup, dir: string): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const facts = machineFacts();
  const originPort = await freePort();
  const origin = group.spawn({ name: "origin", command: process.execPath, args: [join(serversDir, "origin.js"), String(originPort)] });
  await waitForHttp(`http://127.0.0.1:${String(originPort)}/`, origin);
  const auth = await startAuthServer(group, dir, await freePort(), 3_600);
  const [token = ""] = await mintTokens(auth, 1);
  const variants: Variant[] = [
    { id: "off", what: "this checkout, `accessLog: false`" },
    { id: "on", what: "this checkout, `accessLog: true` (the default)" },
    ...(baselineMain === undefined ? [] : [{ id: "on-baseline", what: `the gateway built in ${flags.baseline ?? ""}, \`accessLog: true\`` }]),
  ];
  const runId = `${String(process.pid)}-${String(Date.now())}`;
  for (const variant of variants) {
    variant.gateway = await startGateway(
      group,
      dir,
      {
        name: `gateway-${variant.id}`,
        issuer: auth.issuer,
        originPort,
        redisUrl,
        ratePerMinute: 10_000_000,
        accessLog: variant.id !== "off",
        workers,
        port: await freePort(),
        adminPort: await freePort(),
        keyPrefix: `bench:${runId}:${variant.id}:`,
        ...(variant.id === "on-baseline" && baselineMain !== undefined ? { main: baselineMain } : { main: gatewayMain }),
      },
      token,
    );
  }
  const headers = { authorization: `Bearer ${token}` };
  const rawLog = join(dir, "wrk.log");
  const measure = (url: string, seconds: number, label: string) => runWrk({ url, script: wrkScript, connections, threads: 1, durationSec: seconds, headers, rawLog, label });
  for (const variant of variants) await measure(variant.gateway?.url ?? "", 2, `${variant.id} warm-up`);

  const results = new Map<string, { m: Measurement; cpuUsPerRequest: number }[]>(variants.map((v) => [v.id, []]));
  for (let round = 0; round < rounds; round++) {
    // Each variant first, middle and last in turn, so that a drift of the machine does not favour one.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const variant of order) {
      const gateway = variant.gateway!;
      const before = processTreeCpuSeconds(gateway.process.pid);
      const m = await measure(gateway.url, durationSec, `round ${String(round + 1)} ${variant.id}`);
      const cpuUsPerRequest = ((processTreeCpuSeconds(gateway.process.pid) - before) * 1e6) / Math.max(1, m.requests);
      results.get(variant.id)?.push({ m, cpuUsPerRequest });
      console.log(`round ${String(round + 1)}/${String(rounds)} ${variant.id.padEnd(12)} ${String(Math.round(m.rps)).padStart(6)} req/s  p99 ${m.p99Ms.toFixed(2)} ms  gateway CPU ${cpuUsPerRequest.toFixed(1)} µs/request`);
    }
  }

  const off = results.get("off") ?? [];
  const rows = variants.map((variant) => {
    const runs = results.get(variant.id) ?? [];
    const ratios = runs.map((r, i) => r.m.rps / (off[i]?.m.rps ?? Number.NaN));
    return `| ${variant.id} | ${variant.what} | ${runs.map((r) => String(Math.round(r.m.rps))).join(" / ")} | ${median(runs.map((r) => r.cpuUsPerRequest)).toFixed(1)} | ${variant.id === "off" ? "" : `${ratios.map((r) => r.toFixed(3)).join(" / ")} (median ${median(ratios).toFixed(3)}×)`} |`;
  });
  const command = `pnpm bench:gateway-log -- --rounds ${String(rounds)} --duration ${String(durationSec)} --workers ${String(workers)}${flags.baseline === undefined ? "" : ` --baseline ${flags.baseline}`}`;
  const section = [
    "",
    `## ${startedAt}`,
    "",
    `\`${command}\`; ${facts.cpuModel}, nproc ${String(facts.nproc)}; ${facts.node}; ${facts.wrk}; load average ${loadBefore.map((l) => l.toFixed(2)).join(" / ")} → ${loadavg().map((l) => l.toFixed(2)).join(" / ")}.`,
    "",
    "| variant | what | req/s per round | gateway CPU per request, µs (median) | ÷ off, per round |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  console.log(section);
  await appendFile(logFile, section);
  console.log(`appended to ${logFile}; raw output in ${dir}`);
}

const dir = join(rawDir, `access-log-${new Date().toISOString().replace(/[:.]/g, "-")}`);
await mkdir(dir, { recursive: true });
ensureTools(["wrk"]);
console.log(`repository ${repoDir}${baselineMain === undefined ? "" : `; baseline ${baselineMain}`}`);
await runWithProcessGroup(dir, (group) => main(group, dir));
