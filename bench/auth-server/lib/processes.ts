import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";

/** A process the benchmark started. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<void>;
}

/** Every process this benchmark starts, stopped by PID at the end, on errors and on signals. */
export class Children {
  readonly #running = new Map<number, Child>();
  readonly #logDir: string;

  constructor(logDir: string) {
    this.#logDir = logDir;
    process.on("exit", () => {
      for (const pid of this.#running.keys()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });
  }

  /** Starts `node <args>` with output appended to `<logDir>/<name>.log`. */
  start(name: string, args: readonly string[], env: NodeJS.ProcessEnv): Child {
    const logFile = join(this.#logDir, `${name}.log`);
    const fd = openSync(logFile, "a");
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => child.on("exit", () => {
      this.#running.delete(pid);
      resolve();
    }));
    const entry = { name, pid, child, logFile, exited };
    this.#running.set(pid, entry);
    return entry;
  }

  /** SIGTERM by PID, SIGKILL after 5 s. */
  async stop(entry: Child): Promise<void> {
    if (!this.#running.has(entry.pid)) return;
    process.kill(entry.pid, "SIGTERM");
    const timer = setTimeout(() => {
      try {
        process.kill(entry.pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, 5_000);
    await entry.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.values()].map((entry) => this.stop(entry)));
  }
}
