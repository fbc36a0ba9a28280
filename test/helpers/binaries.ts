// Built binaries run to completion, or kept running on port 0 with their JSON log lines read (the
// listening line names the port); services on known ports are in services.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** The built binaries operators run. */
export const BINARIES = {
  gateway: resolve(root, "packages/gateway/dist/main.js"),
  authServer: resolve(root, "packages/auth-server/dist/main.js"),
  authCli: resolve(root, "packages/auth-server/dist/cli.js"),
  console: resolve(root, "packages/console/dist/main.js"),
} as const;

/** What a binary printed and how it ended. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary to completion (killed by its pid after `timeoutMs`). */
export async function runBinary(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<Finished> {
  const child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env["PATH"], ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "close")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A running service binary whose stdout is pino JSON lines. */
export class RunningBinary {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[] = [];
  /** Everything the process wrote to stderr. */
  stderr = "";
  readonly #waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];

  constructor(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env["PATH"], ...env }, stdio: ["ignore", "pipe", "pipe"] });
    // A service writes only JSON log lines to stdout; anything on stderr (a stack trace) is a defect to see.
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
    let buffered = "";
    this.child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) {
          if (waiter.match(line)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
  }

  /** Resolves with the first log line (seen or to come) that matches, or rejects after `timeoutMs`. */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line in ${timeoutMs} ms; got ${JSON.stringify(this.lines.map((l) => l["msg"]))}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolvePromise(line);
        },
      });
    });
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, "exit") as Promise<[number | null]>;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    const [code] = await exited;
    clearTimeout(timer);
    return code;
  }
}
