import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitUntilRedisAnswers } from "../../src/testing/private-redis.js";

export { freePort };

/** A `redis-server` or `redis-sentinel` child of this test on a loopback port; `stop()` kills it by its pid. */
export class RedisProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.port = port;
    this.#child = child;
    this.#dir = dir;
  }

  /** `redis-server` with the given extra arguments (`--aclfile`, `--replicaof` …). */
  static async server(args: readonly string[] = [], probe: { username?: string; password?: string } = {}): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "service-kit-redis-"));
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...args], {
      stdio: "ignore",
    });
    const process = new RedisProcess(port, child, dir);
    await waitUntilRedisAnswers(port, { ...probe, gaveUp: () => child.exitCode !== null });
    return process;
  }

  /** `redis-sentinel` watching the master `name` at `masterPort`. */
  static async sentinel(name: string, masterPort: number): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "service-kit-sentinel-"));
    const config = join(dir, "sentinel.conf");
    // Sentinel rewrites its config file, so it gets one of its own.
    writeFileSync(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 60000`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-sentinel", [config], { stdio: "ignore" });
    const process = new RedisProcess(port, child, dir);
    await waitUntilRedisAnswers(port, { gaveUp: () => child.exitCode !== null });
    return process;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = once(this.#child, "exit");
      this.#child.kill("SIGKILL");
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
