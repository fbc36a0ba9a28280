// The one wrk runner of every benchmark here: builds the command line, bounds the run, parses the result.
import { spawn } from "node:child_process";
import { appendFile } from "node:fs/promises";

/** What one wrk run measured. Latencies in milliseconds. */
export interface Measurement {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Responses that were not 2xx/3xx. */
  readonly non2xx: number;
  /** Connect, read, write errors and timeouts. */
  readonly socketErrors: number;
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly durationSec: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The Lua script; it must print one `WRK_JSON {…}` line (the scripts under each benchmark's `wrk/` folder). */
  readonly script: string;
  /** Arguments after `--`, for the script (e.g. a file of request bodies or tokens). */
  readonly scriptArgs?: readonly string[];
  /** Raw output is appended here. */
  readonly rawLog: string;
  readonly label: string;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

/** The exact wrk command line for these options (also written into the results). */
export function wrkArgs(options: WrkOptions): string[] {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    "--timeout",
    "5s",
    "-s",
    options.script,
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  args.push(options.url);
  if (options.scriptArgs !== undefined && options.scriptArgs.length > 0) args.push("--", ...options.scriptArgs);
  return args;
}

/** Runs wrk once, bounded at its duration plus 30 s, and parses the script's `WRK_JSON` line. */
export async function runWrk(options: WrkOptions): Promise<Measurement> {
  const args = wrkArgs(options);
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }, (options.durationSec + 30) * 1_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  clearTimeout(timer);
  await appendFile(options.rawLog, `### ${options.label}\n$ wrk ${args.join(" ")}\n${out}\n`);
  const line = out.split("\n").find((candidate) => candidate.startsWith("WRK_JSON "));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${String(code)}) for ${options.label}:\n${out}`);
  const json = JSON.parse(line.slice("WRK_JSON ".length)) as WrkJson;
  const seconds = json.duration_us / 1e6;
  return {
    requests: json.requests,
    seconds,
    rps: json.requests / seconds,
    p50Ms: json.p50_us / 1_000,
    p90Ms: json.p90_us / 1_000,
    p99Ms: json.p99_us / 1_000,
    maxMs: json.max_us / 1_000,
    non2xx: json.status_errors,
    socketErrors: json.connect_errors + json.read_errors + json.write_errors + json.timeouts,
  };
}
