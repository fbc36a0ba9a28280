import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";

/** One wrk measurement. */
export interface Measurement {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers (a refused token counts here). */
  readonly non2xx: number;
  readonly socketErrors: number;
}

export interface WrkRun {
  readonly script: string;
  readonly port: number;
  readonly bodyFile: string;
  readonly connections: number;
  readonly threads: number;
  readonly seconds: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawLog: string;
  readonly label: string;
}

/** The wrk command line of a run (written into the results). */
export function wrkArgs(run: WrkRun): string[] {
  const args = [`-t${run.threads}`, `-c${run.connections}`, `-d${run.seconds}s`, "--timeout", "5s", "-s", run.script];
  for (const [name, value] of Object.entries(run.headers)) args.push("-H", `${name}: ${value}`);
  args.push(`http://127.0.0.1:${run.port}/token`, "--", run.bodyFile, String(run.threads));
  return args;
}

/** Runs wrk once (bounded at its duration + 30 s) and parses the script's JSON line. */
export async function runWrk(run: WrkRun): Promise<Measurement> {
  const args = wrkArgs(run);
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }, (run.seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  clearTimeout(timer);
  appendFileSync(run.rawLog, `### ${run.label}\n$ wrk ${args.join(" ")}\n${out}\n`);
  const line = out.split("\n").find((l) => l.startsWith("WRK_JSON "));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${String(code)}) for ${run.label}:\n${out}`);
  const json = JSON.parse(line.slice(9)) as Record<string, number>;
  const n = (key: string) => json[key] ?? 0;
  return {
    requests: n("requests"),
    rps: n("requests") / (n("duration_us") / 1e6),
    p50Ms: n("p50_us") / 1000,
    p99Ms: n("p99_us") / 1000,
    non2xx: n("status_errors"),
    socketErrors: n("connect_errors") + n("read_errors") + n("write_errors") + n("timeouts"),
  };
}
