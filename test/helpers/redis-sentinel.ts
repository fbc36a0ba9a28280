// A real Redis replication group for the failover tests: one master, one replica and three
// `redis-sentinel` processes (Debian's packages), each a child of the test on a free loopback port,
// stopped (or killed, to simulate a lost node) by its PID.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./services.js";

const run = promisify(execFile);

/** One `redis-server` or `redis-sentinel` process. */
export interface RedisNode {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL: the node is lost, as when its machine dies. */
  kill(): Promise<void>;
}

/** `redis-cli -p PORT ARGS…`, its trimmed output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 5_000 });
  return stdout.trim();
}

async function startNode(command: "redis-server" | "redis-sentinel", args: readonly string[], port: number): Promise<RedisNode> {
  const child = spawn(command, args, { stdio: "ignore" });
  const exited = once(child, "exit");
  const node: RedisNode = {
    port,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} on port ${port} exited with ${String(child.exitCode)}`);
    if ((await redisCli(port, "ping").catch(() => "")) === "PONG") return node;
    if (Date.now() > deadline) {
      await node.kill();
      throw new Error(`${command} on port ${port} did not answer within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ReplicationGroup {
  readonly master: RedisNode;
  readonly replica: RedisNode;
  readonly sentinels: readonly RedisNode[];
  /** The master set's name the sentinels monitor. */
  readonly name: string;
  /** `redis+sentinel://…/name` naming a dead address first, then the three sentinels. */
  readonly url: string;
  /** The port the sentinels currently name as the master (asking the first live one). */
  currentMasterPort(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * Starts the group with the sentinels' failure detection at `downAfterMs` (quorum 2 of 3).
 * Nothing is persisted (`save ""`, no AOF): as in the deployments, Redis holds only short-lived state.
 */
export async function startReplicationGroup(options: { readonly downAfterMs: number }): Promise<ReplicationGroup> {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-sentinel-"));
  const name = "gatehouse-test";
  const common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const masterPort = await freePort();
  const master = await startNode("redis-server", ["--port", String(masterPort), ...common, "--dbfilename", "master.rdb"], masterPort);
  const replicaPort = await freePort();
  const replica = await startNode(
    "redis-server",
    ["--port", String(replicaPort), ...common, "--dbfilename", "replica.rdb", "--replicaof", "127.0.0.1", String(masterPort)],
    replicaPort,
  );
  const sentinels: RedisNode[] = [];
  for (let index = 0; index < 3; index += 1) {
    const port = await freePort();
    const config = join(dir, `sentinel-${index}.conf`);
    // Sentinel rewrites its config file, so each gets one of its own.
    writeFileSync(
      config,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs}`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    sentinels.push(await startNode("redis-sentinel", [config], port));
  }
  // The replica has synced and every sentinel has found the others before anything relies on them.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const linked = (await redisCli(replicaPort, "info", "replication")).includes("master_link_status:up");
    const peers = await Promise.all(sentinels.map((s) => redisCli(s.port, "sentinel", "sentinels", name).then((text) => text.split("\n").filter((l) => l === "name").length)));
    if (linked && peers.every((count) => count >= 2)) break;
    if (Date.now() > deadline) throw new Error("the replication group did not form within 20 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deadPort = await freePort();
  return {
    master,
    replica,
    sentinels,
    name,
    url: `redis+sentinel://127.0.0.1:${deadPort},${sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${name}`,
    async currentMasterPort() {
      for (const sentinel of sentinels) {
        const answer = await redisCli(sentinel.port, "sentinel", "get-master-addr-by-name", name).catch(() => "");
        const port = Number(answer.split("\n")[1]);
        if (Number.isInteger(port) && port > 0) return port;
      }
      return undefined;
    },
    async stop() {
      await Promise.all([master, replica, ...sentinels].map((node) => node.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
