import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";

/** The shared test Redis (never flushed: every test uses its own key prefix). */
export const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `gatehouse-test:${label}:${randomUUID()}:`;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * A private `redis-server` child on its own port, for tests that stop and restart Redis
 * (the shared one on 6379 is never touched). `stop()` and `start()` may be repeated.
 */
export class PrivateRedis {
  readonly port: number;
  readonly #dataDir: string | undefined;
  #child: ChildProcess | undefined;

  private constructor(port: number, dataDir: string | undefined) {
    this.port = port;
    this.#dataDir = dataDir;
  }

  /** `dataDir`: persist every write there (append-only file, fsync always), so a restart keeps the data. */
  static async start(options: { dataDir?: string } = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), options.dataDir);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const persistence = this.#dataDir === undefined ? ["--appendonly", "no"] : ["--dir", this.#dataDir, "--appendonly", "yes", "--appendfsync", "always"];
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence], {
      stdio: "ignore",
    });
    this.#child = child;
    const deadline = Date.now() + 5_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }
}
