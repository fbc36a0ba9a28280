// `pnpm bench:scale-out`: the gateway's throughput with 1, 2 and 3 processes (`--workers N`, one
// port shared through node:cluster) on one Redis, and the Redis calls it makes per request, measured
// with wrk in interleaved rounds; writes bench/scale-out/RESULTS.md. The same origin, auth server and
// gateway config as the gateway benchmark (bench/gateway/lib). Every process is stopped by PID.
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mintTokens, startAuthServer } from "../gateway/lib/auth.js";
import { startGateway } from "../gateway/lib/gateway.js";
import { ensureTools, machineFacts } from "../gateway/lib/machine.js";
import { freePort, waitForHttp } from "../gateway/lib/net.js";
import { benchDir, serversDir, wrkScript } from "../gateway/paths.js";
import { ProcessGroup } from "../lib/processes.js";
import { runWrk, wrkArgs, type Measurement } from "../lib/wrk.js";

const argv = process.argv.slice(2);
if (argv[0] === "--") argv.shift();
const { values: flags } = parseArgs({
  args: argv,
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    results: { type: "string", default: join(benchDir, "scale-out", "RESULTS.md") },
  },
  strict: true,
});
const rounds = Number(flags.rounds);
const durationSec = Number(flags.duration);
const warmupSec = Number(flags.warmup);
const connections = Number(flags.connections);
for (const [name, value] of Object.entries({ rounds, durationSec, warmupSec, connections })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
}
/** A Redis of the benchmark's own (started below), so that its command counts are the gateways' alone. */
let redisUrl = "";
const processCounts = [1, 2, 3] as const;

/**
 * What Redis has executed since it started (`INFO commandstats`): every command, including those a
 * Lua script runs inside it, and the script calls alone (EVALSHA/EVAL: the round trips a gateway makes).
 */
function redisCalls(): { commands: number; scripts: number; cpuSeconds: number } {
  const text = execFileSync("redis-cli", ["-u", redisUrl, "--no-auth-warning", "info", "all"], { encoding: "utf8" });
  const cpu = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)?.[1] ?? 0);
  let commands = 0;
  let scripts = 0;
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const calls = Number(match[2]);
    commands += calls;
    if (match[1] === "evalsha" || match[1] === "eval" || match[1] === "evalsha_ro" || match[1] === "eval_ro") scripts += calls;
  }
  return { commands, scripts, cpuSeconds: cpu("used_cpu_user") + cpu("used_cpu_sys") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main(group: ProcessGroup, dir: string): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const facts = machineFacts();
  const rawLog = join(dir, "wrk.log");
  const redisPort = await freePort();
  group.spawn({ name: "redis", command: "redis-server", args: ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] });
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  for (let tries = 0; ; tries++) {
    try {
      execFileSync("redis-cli", ["-u", redisUrl, "ping"], { stdio: "ignore" });
      break;
    } catch (error) {
      if (tries > 50) throw error;
      await sleep(100);
    }
  }
  const originPort = await freePort();
  const origin = group.spawn({ name: "origin", command: process.execPath, args: [join(serversDir, "origin.js"), String(originPort)] });
  await waitForHttp(`http://127.0.0.1:${originPort}/`, origin);
  const auth = await startAuthServer(group, dir, await freePort(), 3_600);
  const [token = ""] = await mintTokens(auth, 1);
  const runId = `${process.pid}-${Date.now()}`;
  const urls = new Map<number, string>();
  for (const workers of processCounts) {
    const gateway = await startGateway(
      group,
      dir,
      {
        name: `gateway-${workers}`,
        workers,
        port: await freePort(),
        adminPort: await freePort(),
        issuer: auth.issuer,
        originPort,
        redisUrl,
        keyPrefix: `bench:${runId}:scale-${workers}:`,
        ratePerMinute: 10_000_000,
        accessLog: false,
      },
      token,
    );
    urls.set(workers, gateway.url);
  }

  const results = new Map<number, { m: Measurement; scriptsPerRequest: number; commandsPerRequest: number; redisCpuUsPerRequest: number }[]>(processCounts.map((n) => [n, []]));
  const measure = (workers: number, seconds: number, label: string) =>
    runWrk({ url: urls.get(workers) ?? "", connections, threads: 1, durationSec: seconds, rawLog, label, headers: { authorization: `Bearer ${token}` }, script: wrkScript });
  for (let round = 0; round < rounds; round++) {
    const order = processCounts.map((_, i) => processCounts[(i + round) % processCounts.length] ?? 1);
    for (const workers of order) {
      await measure(workers, warmupSec, `round ${round + 1} ${workers} warm-up`);
      await sleep(500);
      const before = redisCalls();
      const m = await measure(workers, durationSec, `round ${round + 1} ${workers} processes`);
      const after = redisCalls();
      const requests = Math.max(1, m.requests);
      // Less the INFO call itself.
      const sample = {
        m,
        scriptsPerRequest: (after.scripts - before.scripts) / requests,
        commandsPerRequest: (after.commands - before.commands - 1) / requests,
        redisCpuUsPerRequest: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / requests,
      };
      results.get(workers)?.push(sample);
      console.log(
        `round ${round + 1}: ${workers} process(es) ${int(m.rps)} req/s, p99 ${m.p99Ms.toFixed(2)} ms, non-2xx ${m.non2xx}, ` +
          `Redis round trips/request ${sample.scriptsPerRequest.toFixed(3)}, commands/request ${sample.commandsPerRequest.toFixed(3)}, ` +
          `Redis CPU/request ${sample.redisCpuUsPerRequest.toFixed(1)} µs`,
      );
    }
  }

  const one = median((results.get(1) ?? []).map((r) => r.m.rps));
  const rows = processCounts.map((workers) => {
    const runs = results.get(workers) ?? [];
    const rps = median(runs.map((r) => r.m.rps));
    return `| ${workers} | ${int(rps)} | ${(rps / one).toFixed(2)}× | ${median(runs.map((r) => r.m.p99Ms)).toFixed(2)} | ${median(runs.map((r) => r.scriptsPerRequest)).toFixed(3)} | ${median(runs.map((r) => r.commandsPerRequest)).toFixed(3)} | ${median(runs.map((r) => r.redisCpuUsPerRequest)).toFixed(1)} | ${runs.map((r) => int(r.m.rps)).join(" / ")} | ${runs.reduce((sum, r) => sum + r.m.non2xx + r.m.socketErrors, 0)} |`;
  });
  const text = `# Scale-out benchmark results

Generated by \`pnpm bench:scale-out -- --rounds ${rounds} --duration ${durationSec}\` at ${startedAt}; load average at
the start ${loadBefore.map((l) => l.toFixed(2)).join(" / ")}, at the end ${loadavg().map((l) => l.toFixed(2)).join(" / ")}.
Machine: ${facts.cpuModel}, nproc ${facts.nproc}, ${facts.kernel}; Node ${facts.node}; ${facts.redis}; ${facts.wrk}.

The gateway doing the full job (verify, policy, one Redis rate-limit decision, proxy to the fixed origin) with the same
token on every request, as one process and as \`--workers 2\` and \`--workers 3\` (node:cluster, one shared port), all
on one Redis; wrk with ${connections} connections, ${durationSec} s per measurement after ${warmupSec} s of warm-up,
rounds interleaved. Redis figures come from the benchmark's own \`redis-server\` (started for this run, used by nothing
else), \`INFO commandstats\` around each measurement divided by the requests wrk completed: round trips are the
script calls (EVALSHA/EVAL), commands count everything Redis executed, including the commands inside the script, and
Redis CPU is its \`used_cpu_user\` + \`used_cpu_sys\` (\`INFO cpu\`) over the measurement, per request. Only this run's figures are stated here.

| gateway processes | req/s (median) | vs one process | p99 ms (median) | Redis round trips per request | Redis commands per request | Redis CPU µs per request | req/s per round | non-2xx + socket errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

wrk command of one measurement: \`wrk ${wrkArgs({ url: urls.get(1) ?? "", connections, threads: 1, durationSec, rawLog, label: "", headers: { authorization: "Bearer <token>" }, script: wrkScript }).join(" ")}\`
`;
  await writeFile(flags.results, text);
  console.log(`\nwrote ${flags.results}\n${rows.join("\n")}`);
}

ensureTools(["wrk"]);
const dir = join(benchDir, "results", "raw", "scale-out", new Date().toISOString().replace(/[:.]/g, "-"));
await mkdir(dir, { recursive: true });
const group = new ProcessGroup(dir);
try {
  await main(group, dir);
} finally {
  await group.stopAll();
}
