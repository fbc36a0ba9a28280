// `pnpm bench:console`: how many events per second the console keeps up with, and how long an
// anomaly takes from the event that completes it to the page's live feed. Everything on 127.0.0.1,
// Redis from REDIS_URL (default redis://127.0.0.1:6379) with a stream unique to the run.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { ProcessGroup } from "../lib/processes.js";

// Compiled to bench/dist/console/run.js: the repository root is three levels up.
const root = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    events: { type: "string", default: "200000" },
    rate: { type: "string", default: "20000" },
    seconds: { type: "string", default: "10" },
    samples: { type: "string", default: "20" },
    results: { type: "string", default: join(root, "bench/console/RESULTS.md") },
  },
});
const BACKLOG = Number(values.events);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SAMPLES = Number(values.samples);
const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const ADMIN = randomBytes(32).toString("base64url");
const stream = `gatehouse-bench:console:${randomUUID()}`;
const redis = new Redis(REDIS_URL);
const group = new ProcessGroup(await mkdtemp(join(tmpdir(), "gatehouse-bench-console-")));
const load = { before: loadavg().map((v) => v.toFixed(2)).join(" "), after: "" };

/** A realistic mix: traffic summaries, denials, failed logins, from 100 services and 1000 addresses. */
function event(i: number, time = new Date().toISOString()): string {
  const service = `svc-${String(i % 100)}`;
  const route = `route-${String(i % 50)}`;
  const source = `10.0.${String(Math.floor(i / 250) % 4)}.${String(i % 250)}`;
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
      return JSON.stringify({ time, event: "gateway.traffic", severity: "info", component: "gateway", instance: "bench-gw:1", service, route, detail: { seconds: 5, requests: 50, denied: 1, limited: 0, failed: 0, pressure: 0.2 } });
    case 4:
    case 5:
    case 6:
      return JSON.stringify({ time, event: "gateway.forbidden", severity: "info", component: "gateway", instance: "bench-gw:1", service, route, source, detail: { status: 403, error: "insufficient_scope" } });
    case 7:
    case 8:
      return JSON.stringify({ time, event: "gateway.unauthenticated", severity: "info", component: "gateway", instance: "bench-gw:2", route, source, detail: { status: 401, error: "invalid_token" } });
    default:
      return JSON.stringify({ time, event: "auth.client_auth_failed", severity: "warning", component: "auth-server", instance: "bench-auth:1", service, source, detail: { error: "invalid_client" } });
  }
}

/** Appends `count` events in one pipeline; resolves with the stream id of the last one. */
async function append(from: number, count: number): Promise<string> {
  const pipeline = redis.pipeline();
  for (let i = from; i < from + count; i++) pipeline.xadd(stream, "*", "e", event(i));
  const results = (await pipeline.exec()) ?? [];
  const id = results.at(-1)?.[1];
  return typeof id === "string" ? id : "0-0";
}

interface Status {
  events: { read: number };
  redis: { cursor: string | null };
}

async function status(port: number): Promise<Status> {
  const response = await fetch(`http://127.0.0.1:${String(port)}/api/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return (await response.json()) as Status;
}

/** Whether stream id `a` is at or after `b`. */
function reached(a: string | null, b: string): boolean {
  if (a === null) return false;
  const [am = 0n, as = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bs = 0n] = b.split("-").map(BigInt);
  return am > bm || (am === bm && as >= bs);
}

/** Polls until the console's cursor reaches `id`; resolves with the milliseconds it took. */
async function waitCursor(port: number, id: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (reached((await status(port)).redis.cursor, id)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`the console did not reach ${id} within ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

try {
  // 1. A backlog in the stream, read from the start by a console that starts after it was written.
  let backlogEnd = "0-0";
  for (let i = 0; i < BACKLOG; i += 1_000) backlogEnd = await append(i, Math.min(1_000, BACKLOG - i));
  const dir = await mkdtemp(join(tmpdir(), "gatehouse-bench-console-config-"));
  const config = join(dir, "console.yaml");
  await writeFile(config, `stream: ${stream}\nlearningSeconds: 0\nrecentEvents: 1000\n`);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const started = performance.now();
  const consoleProcess = group.spawn({
    name: "console",
    command: process.execPath,
    args: [join(root, "packages/console/dist/main.js"), "--config", config, "--port", String(port)],
    env: { ...process.env, REDIS_URL, GATEHOUSE_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn" },
  });
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${String(port)}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (performance.now() - started > 20_000) throw new Error(`the console did not start; see ${consoleProcess.logFile}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const listening = performance.now();
  await waitCursor(port, backlogEnd, 120_000);
  const backlogSeconds = (performance.now() - listening) / 1000;
  const backlogRead = (await status(port)).events.read;

  // 2. Live: RATE events/s for SECONDS, written in 10 ms ticks; how far behind is the console at the end?
  const perTick = Math.max(1, Math.round(RATE / 100));
  const liveStart = performance.now();
  let written = 0;
  let lastId = backlogEnd;
  for (let tick = 0; tick < SECONDS * 100; tick++) {
    lastId = await append(BACKLOG + written, perTick);
    written += perTick;
    const due = liveStart + (tick + 1) * 10;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const writeSeconds = (performance.now() - liveStart) / 1000;
  const catchUpMs = await waitCursor(port, lastId, 60_000);

  // 3. Latency: twenty denials on a fresh edge; time from appending the twentieth to the anomaly on the live feed.
  const feed = await fetch(`http://127.0.0.1:${String(port)}/api/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const reader = feed.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  /** Reads the feed until an `anomaly` message names `service`. */
  const waitAnomaly = async (service: string): Promise<void> => {
    for (;;) {
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (message.startsWith("event: anomaly") && data !== undefined && (JSON.parse(data) as { service?: string }).service === service) return;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("feed closed");
      buffer += value;
    }
  };
  const latencies: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    const service = `latency-${String(sample)}`;
    const denial = () => JSON.stringify({ time: new Date().toISOString(), event: "gateway.forbidden", severity: "info", component: "gateway", instance: "bench-gw:1", service, route: "payments", source: "10.9.9.9", detail: { status: 403 } });
    const pipeline = redis.pipeline();
    for (let i = 0; i < 19; i++) pipeline.xadd(stream, "*", "e", denial());
    await pipeline.exec();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await redis.xadd(stream, "*", "e", denial());
    await waitAnomaly(service);
    latencies.push(performance.now() - t0);
  }
  await reader.cancel();
  latencies.sort((a, b) => a - b);
  load.after = loadavg().map((v) => v.toFixed(2)).join(" ");

  const ms = (v: number) => v.toFixed(1);
  const report = `# Console benchmark results

Written by \`pnpm bench:console\` (bench/console/run.ts) on ${new Date().toISOString()}.
**Measured on a busy, shared machine** (${String(cpus().length)} cores shared with other jobs; load average
${load.before} before and ${load.after} after the run): treat the figures as a floor, not a capacity.
Node ${process.version}, Redis at \`${REDIS_URL}\`, one console process (\`node packages/console/dist/main.js\`),
the writer in the benchmark process. Command: \`pnpm bench:console -- --events ${String(BACKLOG)} --rate ${String(RATE)} --seconds ${String(SECONDS)} --samples ${String(SAMPLES)}\`.

| measurement | result |
| --- | --- |
| backlog of ${String(BACKLOG)} events read from the stream start (parse, schema check, graph, detectors) | ${String(backlogRead)} events in ${backlogSeconds.toFixed(2)} s = **${Math.round(backlogRead / backlogSeconds).toLocaleString("en")} events/s** |
| live: ${String(written)} events appended at a target of ${String(RATE)}/s | written in ${writeSeconds.toFixed(2)} s (${Math.round(written / writeSeconds).toLocaleString("en")}/s achieved); the console's cursor reached the last one **${ms(catchUpMs)} ms** after it was appended (polled every 5 ms) |
| completing event → anomaly on the page's live feed (\`/api/events\`, what the page renders), ${String(SAMPLES)} samples | p50 **${ms(percentile(latencies, 50))} ms**, p95 ${ms(percentile(latencies, 95))} ms, max ${ms(latencies.at(-1) ?? Number.NaN)} ms |

The mix: 40% \`gateway.traffic\`, 30% \`gateway.forbidden\`, 20% \`gateway.unauthenticated\`, 10%
\`auth.client_auth_failed\`, over 100 services, 50 routes and 1000 addresses (so the denial and
failed-login detectors keep windows for many keys). The latency samples append nineteen denials on a
fresh edge, wait 200 ms, then time the twentieth (the default threshold) until the \`anomaly\` message
arrives on the feed. The browser's paint after that message is not included (the browser test shows
it within 2 s end to end: \`test/e2e/console-browser.test.ts\`).

Not measured here: the gateway's throughput with event publishing on versus off.
`;
  await writeFile(values.results, report);
  console.log(report);
} finally {
  await group.stopAll();
  await redis.del(stream);
  redis.disconnect();
}
