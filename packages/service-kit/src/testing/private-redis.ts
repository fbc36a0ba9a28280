/**
 * Test support shared by the packages' tests (`@gatehouse/service-kit/testing`, not part of the runtime API): the
 * shared test Redis and a key prefix of a test's own, a free loopback port, the wait for a Redis process to answer, and a private `redis-server` child for tests that stop and
 * restart Redis (the shared one is never touched), stopped by its PID.
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

/** The shared test Redis (never flushed: every test uses its own key prefix). */
export const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `gatehouse-test:${label}:${randomUUID()}:`;
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below Linux's ephemeral range
 * (`net.ipv4.ip_local_port_range`). The kernel takes the local port of every outgoing connection, and of
 * `listen(0)`, from that range: a port found free there can be taken by any connection of any process before the
 * test's server listens on it (seen as `EADDRINUSE` when a whole stack starts on chosen ports while other tests
 * connect). Below the range, only another test choosing the same port at random can take it.
 */
export async function freePort(): Promise<number> {
  const [first, last] = belowEphemeralRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = first + Math.floor(Math.random() * (last - first));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${String(first)} and ${String(last)}`);
}

/** Ports from here up to (not including) the ephemeral range's first port, at most 12,000 of them. */
function belowEphemeralRange(): [number, number] {
  let ephemeralStart = 32_768;
  try {
    const [start] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (start !== undefined && Number.isInteger(start) && start > 2_048) ephemeralStart = start;
  } catch {
    // Not Linux: keep the default range's start.
  }
  return [Math.max(1_024, ephemeralStart - 12_000), ephemeralStart];
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
  } catch {
    return false;
  }
  server.close();
  await once(server, "close");
  return true;
}

/**
 * Waits until a Redis process on 127.0.0.1:`port` answers `PING` (as `username`/`password` when given), for 5 s at
 * most or until `gaveUp()` says the process is gone; throws then.
 */
export async function waitUntilRedisAnswers(port: number, options: { username?: string; password?: string; gaveUp?: () => boolean } = {}): Promise<void> {
  const { gaveUp, ...auth } = options;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...auth });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline || gaveUp?.() === true) throw new Error(`redis process on port ${String(port)} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A private `redis-server` child on its own port. `stop()` and `start()` may be repeated. */
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
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  async start(): Promise<void> {
    const persistence = this.#dataDir === undefined ? ["--appendonly", "no"] : ["--dir", this.#dataDir, "--appendonly", "yes", "--appendfsync", "always"];
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", ...persistence], { stdio: "ignore" });
    this.#child = child;
    await waitUntilRedisAnswers(this.port, { gaveUp: () => child.exitCode !== null });
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
