import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** The built entry point, as operators start it. */
export const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** A gateway process started from the built `dist/main.js`, with its JSON log lines. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first log line that satisfies `match` (waiting for it if needed). */
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/main.js ARGS`; with `cgroupProcs` (a cgroup v1 `cgroup.procs` file), the process joins that
 * cgroup before Node starts, so its memory limit applies from the first byte.
 */
export function startProcess(args: string[], env: NodeJS.ProcessEnv = {}, options: { cgroupProcs?: string } = {}): GatewayProcess {
  const [command, commandArgs] =
    options.cgroupProcs === undefined
      ? [process.execPath, [MAIN, ...args]]
      : ["/bin/sh", ["-c", `echo $$ > '${options.cgroupProcs}' && exec "$0" "$@"`, process.execPath, MAIN, ...args]];
  const child = spawn(command, commandArgs, {
    env: { PATH: process.env["PATH"], LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      if (!text.startsWith("{")) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exit = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    lines,
    waitFor(match, timeoutMs = 15_000) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line; got ${JSON.stringify(lines.map((l) => l["msg"]))}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exit;
      }
    },
  };
}

export const listening = (line: Record<string, unknown>) => line["msg"] === "gateway listening";
