import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";

/** A child process the benchmark started, with its log file. */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Every process the benchmark starts, so that all of them are stopped by PID at the end, on an
 * error, on Ctrl-C and on SIGTERM. Nothing is ever stopped by name.
 */
export class ProcessGroup {
  readonly #started = new Map<number, Started>();
  readonly #logDir: string;

  constructor(logDir: string) {
    this.#logDir = logDir;
    // Last resort when the orchestrator exits without having stopped its children.
    process.on("exit", () => {
      for (const entry of this.#started.values()) {
        try {
          process.kill(entry.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
  }

  /**
   * Starts a process with stdout and stderr appended to `<logDir>/<name>.log` (the file descriptor
   * is handed to the child, so this process spends no CPU on its logs).
   */
  spawn(options: SpawnOptions): Started {
    const logFile = join(this.#logDir, `${options.name}.log`);
    const fd = openSync(logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ["ignore", fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.on("error", () => undefined);
      throw new Error(`could not start ${options.name} (${options.command})`);
    }
    child.on("error", (error) => console.error(`${options.name}: ${error.message}`));
    const exited = new Promise<string>((resolve) => {
      child.on("exit", (code, signal) => {
        this.#started.delete(pid);
        resolve(signal ?? String(code));
      });
    });
    const entry: Started = { name: options.name, pid, child, logFile, exited };
    this.#started.set(pid, entry);
    return entry;
  }

  /** Stops one process by PID: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(entry: Started, graceMs = 5_000): Promise<string> {
    if (!this.#started.has(entry.pid)) return entry.exited;
    try {
      process.kill(entry.pid, "SIGTERM");
    } catch {
      return entry.exited;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(entry.pid, "SIGKILL");
      } catch {
        // exited in the meantime
      }
    }, graceMs);
    const result = await entry.exited;
    clearTimeout(timer);
    return result;
  }

  /** Stops every process still running, newest first. */
  async stopAll(): Promise<void> {
    const running = [...this.#started.values()].reverse();
    await Promise.all(running.map((entry) => this.stop(entry)));
  }
}
