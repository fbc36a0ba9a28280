import type { MachineFacts } from "./machine.js";
import type { ProfileSummary } from "./profile.js";
import type { SyscallCount } from "./syscalls.js";
import type { Measurement } from "../../lib/wrk.js";

/** One measured run of a scenario, with the CPU time it cost where it was read. */
export interface RoundResult extends Measurement {
  /** CPU time (user + system) of the scenario's server, all its processes and threads, per request served, µs. */
  readonly serverCpuUs?: number;
  /** CPU time of the Redis server per request over the same measurement, µs (the gateway's rate limits live there). */
  readonly redisCpuUs?: number;
}

/** One load scenario of the run. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly what: string;
  /** One measurement per round, in round order. */
  readonly rounds: readonly RoundResult[];
  /** The gateway's counters over each measured run, where it has a single process to ask. */
  readonly counters: readonly string[];
}

/** A target of docs/performance-targets.md: `numerator / denominator` of a metric, per round, against a bound. */
export interface RatioTarget {
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
  /** `cpuUs`: the server's and Redis' CPU time per request together (see {@link RoundResult}). */
  readonly metric: "rps" | "p99Ms" | "cpuUs";
  readonly bound: number;
  /** `min`: the ratio must be at least `bound`; `max`: at most. */
  readonly kind: "min" | "max";
  /** Shown for context only: not one of the targets in docs/performance-targets.md. */
  readonly informative?: boolean;
}

export interface RatioResult extends RatioTarget {
  readonly perRound: readonly number[];
  readonly median: number;
  readonly met: boolean;
}

export interface RunSettings {
  readonly command: string;
  readonly startedAt: string;
  readonly rounds: number;
  readonly durationSec: number;
  readonly warmupSec: number;
  readonly connections: number;
  readonly wrkThreads: number;
  readonly tokenRing: number;
  readonly verifierCacheSize: number;
  readonly ratePerMinute: number;
  /** 1, 5 and 15 minute load averages when the run started and ended (other work on the machine shows here). */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly notes: readonly string[];
}

export interface Report {
  readonly facts: MachineFacts;
  readonly settings: RunSettings;
  readonly scenarios: readonly ScenarioResult[];
  readonly ratios: readonly RatioResult[];
  readonly profile?: { readonly summary: ProfileSummary; readonly measurement: Measurement; readonly scenario: string };
  /** System calls per request of single-process proxies (`strace -c`). */
  readonly syscalls: readonly (SyscallCount & { readonly title: string })[];
  /** The generated config files, shown in the appendix. */
  readonly configs: readonly { readonly name: string; readonly language: string; readonly text: string }[];
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Per-round ratios (both sides measured in the same round) and their median. */
export function computeRatios(scenarios: readonly ScenarioResult[], targets: readonly RatioTarget[]): RatioResult[] {
  const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));
  return targets.flatMap((target) => {
    const top = byId.get(target.numerator);
    const bottom = byId.get(target.denominator);
    if (top === undefined || bottom === undefined) return [];
    const perRound = top.rounds.map((m, i) => {
      const other = bottom.rounds[i];
      return other === undefined ? Number.NaN : metricOf(m, target.metric) / metricOf(other, target.metric);
    });
    const mid = median(perRound);
    return [{ ...target, perRound, median: mid, met: target.kind === "min" ? mid >= target.bound : mid <= target.bound }];
  });
}

function metricOf(m: RoundResult, metric: RatioTarget["metric"]): number {
  if (metric !== "cpuUs") return m[metric];
  return m.serverCpuUs === undefined ? Number.NaN : m.serverCpuUs + (m.redisCpuUs ?? 0);
}

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => value.toFixed(2);
const x = (value: number) => `${value.toFixed(2)}×`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The figures table: median over rounds, every round's req/s, errors; and, when the run read them, the CPU time the
 * server and Redis spent per request (median, and the server's per round).
 */
export function figuresTable(scenarios: readonly ScenarioResult[]): string {
  const withCpu = scenarios.some((s) => s.rounds.some((m) => m.serverCpuUs !== undefined));
  const us = (values: readonly (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === 0 ? "" : median(known).toFixed(0);
  };
  return table(
    ["scenario", "req/s (median)", "req/s per round", "p50 ms", "p99 ms", "non-2xx", "socket errors", ...(withCpu ? ["server CPU µs/request (median; per round)", "Redis CPU µs/request"] : [])],
    scenarios.map((s) => [
      s.title,
      int(median(s.rounds.map((m) => m.rps))),
      s.rounds.map((m) => int(m.rps)).join(" / "),
      ms(median(s.rounds.map((m) => m.p50Ms))),
      ms(median(s.rounds.map((m) => m.p99Ms))),
      String(s.rounds.reduce((sum, m) => sum + m.non2xx, 0)),
      String(s.rounds.reduce((sum, m) => sum + m.socketErrors, 0)),
      ...(withCpu
        ? [`${us(s.rounds.map((m) => m.serverCpuUs))} (${s.rounds.map((m) => (m.serverCpuUs === undefined ? "–" : m.serverCpuUs.toFixed(0))).join(" / ")})`, us(s.rounds.map((m) => m.redisCpuUs))]
        : []),
    ]),
  );
}

/** The ratios table of the targets in docs/performance-targets.md. */
export function ratiosTable(ratios: readonly RatioResult[]): string {
  return table(
    ["ratio (same round)", "target", "per round", "median", "met"],
    ratios.map((r) => [
      r.name,
      `${r.kind === "min" ? "≥" : "≤"} ${r.bound.toFixed(2)}×${r.informative === true ? " (context, not a target)" : ""}`,
      r.perRound.map(x).join(" / "),
      x(r.median),
      r.met ? "yes" : r.informative === true ? "no" : "**no**",
    ]),
  );
}

function countersSection(scenarios: readonly ScenarioResult[]): string {
  const rows = scenarios.filter((s) => s.counters.length > 0);
  if (rows.length === 0) return "";
  return `What the single gateway process counted during each measured run (its admin \`/metrics\`):

${table(["scenario", "per round"], rows.map((s) => [s.title, s.counters.join(" / ")]))}

`;
}

const syscallGroups: readonly (readonly [string, RegExp])[] = [
  ["reads", /^(read|readv|recvfrom|recvmsg)$/],
  ["writes", /^(write|writev|sendto|sendmsg)$/],
  ["epoll", /^epoll_/],
];

function syscallSection(report: Report): string {
  if (report.syscalls.length === 0) return "";
  const group = (c: SyscallCount, pattern: RegExp) => c.perRequest.filter((e) => pattern.test(e.name)).reduce((sum, e) => sum + e.calls, 0);
  return `## System calls per request

\`strace -c -f\` attached to one process of each kind for a 3 s run of the same load, calls divided by the requests served
(reads: read/readv/recvfrom/recvmsg; writes: write/writev/sendto/sendmsg). strace slows the process down, so only the counts
mean something. On loopback every socket write also runs the receiving side's TCP path inside the kernel, which is why socket
writes dominate the CPU profile below.

${table(
  ["process", "requests traced", "all", ...syscallGroups.map(([name]) => name), "others (≥ 0.01 per request)"],
  report.syscalls.map((c) => [
    c.title,
    int(c.requests),
    c.totalPerRequest.toFixed(2),
    ...syscallGroups.map(([, pattern]) => group(c, pattern).toFixed(2)),
    c.perRequest
      .filter((e) => !syscallGroups.some(([, pattern]) => pattern.test(e.name)))
      .map((e) => `${e.name} ${e.calls.toFixed(2)}`)
      .join(", "),
  ]),
)}

`;
}

function profileSection(report: Report): string {
  const profile = report.profile;
  if (profile === undefined) return "";
  const { summary, measurement } = profile;
  return `## CPU profile of the gateway under load

\`node --cpu-prof\` on a single gateway process (${profile.scenario}) while wrk ran ${measurement.seconds.toFixed(0)} s at ${int(measurement.rps)} req/s
(p50 ${ms(measurement.p50Ms)} ms, p99 ${ms(measurement.p99Ms)} ms; the profiler, sampling every 250 µs, costs some throughput). Only the
${int(summary.samples)} samples taken during the measured load count (not start-up or warm-up); the process was busy in
${summary.busyPercent.toFixed(1)}% of them, and the shares below are of the busy samples. Profile file: \`${summary.file.replace(/^.*\/bench\//, "bench/")}\` (git-ignored).

### By component (self time)

${table(["component", "% of busy"], summary.byComponent.slice(0, 14).map((s) => [s.name, s.percent.toFixed(1)]))}

### Hottest functions (self time)

${table(["function [component]", "where", "% of busy"], summary.topFunctions.map((f) => [f.name, f.location === "" ? "" : `\`${f.location}\``, f.percent.toFixed(1)]))}

### Hot spots in the gateway's own code

${table(
  ["function", "source", "self % of busy", "total % (with callees)"],
  summary.gatewayHotSpots.map((h) => [h.name, `\`${h.location}\``, h.selfPercent.toFixed(2), h.totalPercent.toFixed(1)]),
)}
`;
}

/** The whole results file (also printed by the run). */
export function renderResults(report: Report): string {
  const { facts, settings } = report;
  return `# Gateway benchmark results

Written by \`${settings.command}\` (bench/gateway/run.ts) on ${settings.startedAt}. All figures below come from that one
run: absolute numbers drift ±40% on this shared machine, so the targets are ratios of scenarios measured in the same round.
Every run of the benchmark, failing ones included, has a row in [RUNS.md](RUNS.md): one run is not evidence.

## Machine and software

| | |
| --- | --- |
| CPU | ${facts.cpuModel}, nproc ${facts.nproc} |
| kernel | ${facts.kernel} |
| Node.js | ${facts.node} (gateway, http-proxy baseline, origin, auth server) |
| HAProxy | ${facts.haproxy} |
| load generator | ${facts.wrk}, ${settings.wrkThreads} thread(s), ${settings.connections} connections, keep-alive |
| Redis | ${facts.redis} (127.0.0.1, shared) |
| load average (1/5/15 min) | ${settings.loadAverage.before.map((v) => v.toFixed(2)).join(" / ")} at the start, ${settings.loadAverage.after.map((v) => v.toFixed(2)).join(" / ")} at the end |

## Method

- Load: \`wrk -t${settings.wrkThreads} -c${settings.connections} -d${settings.durationSec}s --timeout 5s -s bench/gateway/wrk/report.lua\`, latency percentiles from wrk.
- ${settings.rounds} interleaved rounds; in each round every scenario gets a ${settings.warmupSec} s warm-up and then a ${settings.durationSec} s measurement,
  in an order rotated by one scenario per round and reversed every other round (the two sides of a ratio run in both orders). Figures are medians over the rounds; ratios are taken per round, then the median.
- Everything on 127.0.0.1: the fixed origin (node:http, one small JSON body), the auth server (\`createAuthServer\`, ES256), the
  proxies, Redis and wrk share the ${facts.nproc} cores.
- Tokens are minted by the real auth server (client_credentials, \`client_secret_basic\`, resource indicator). The fresh-token
  scenario cycles through ${int(settings.tokenRing)} distinct tokens, more than the gateway's verified-token cache
  (${int(settings.verifierCacheSize)}), continuing where the previous run stopped, so every request is a cache miss and a signature check.
- The gateway's route does the full job: audience, scope, calling service and attribute policy, and a per-service Redis rate
  limit of ${int(settings.ratePerMinute)} per 60 s (never reached). HAProxy does the same natively: exactly one Bearer header,
  \`alg\`/\`typ\`, \`jwt_verify\` with the auth server's public key as PEM, \`iss\`/\`aud\`/\`exp\`, \`jti\` present and \`client_id\` = \`sub\`, the
  scope, calling service and attribute, a stick-table rate limit per calling service, identity headers set (config in the appendix).
  It verifies the signature on every request (it has no verified-token cache), so its same-token and fresh-token costs are equal.
${settings.notes.map((note) => `- ${note}`).join("\n")}

### Scenarios

${table(["scenario", "what runs"], report.scenarios.map((s) => [s.title, s.what]))}

## Figures

${figuresTable(report.scenarios)}

${countersSection(report.scenarios)}## Targets (docs/performance-targets.md)

${ratiosTable(report.ratios)}

${syscallSection(report)}${profileSection(report)}
## Appendix: the generated configs

Ports are those of this run; the auth server's client secrets come from variables, never from the file.

${report.configs.map((c) => `### \`${c.name}\`\n\n\`\`\`${c.language}\n${c.text.trimEnd()}\n\`\`\``).join("\n\n")}
`;
}
