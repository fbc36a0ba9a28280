import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_CODES } from "../src/index.js";
import { freePort } from "./helpers/redis-processes.js";

const FIXTURE = fileURLToPath(new URL("fixtures/worker-service.ts", import.meta.url));

interface Primary {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const started: ChildProcess[] = [];
afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
});

function startPrimary(env: NodeJS.ProcessEnv): Primary {
  const child = spawn(process.execPath, [FIXTURE], { env: { PATH: process.env["PATH"], ...env }, stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) if (part.startsWith("{")) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  return {
    child,
    lines,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find(match);
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`no matching log line; got ${JSON.stringify(lines.map((l) => l["msg"]))}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** One request on a new connection; the answer is the pid of the worker that took it. */
function pidOf(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      res.on("end", () => resolve(Number(body)));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The distinct worker pids answering within `requests` connections. */
async function answeringPids(port: number, requests = 20): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < requests; i++) pids.add(await pidOf(port));
  return pids;
}

const listening = (line: Record<string, unknown>) => line["msg"] === "worker listening";

describe("runWorkers", () => {
  it("starts two worker processes that both take connections on the shared port", async () => {
    const port = await freePort();
    const primary = startPrimary({ PORT: String(port) });
    await primary.waitFor(() => primary.lines.filter(listening).length >= 2);
    const workerPids = new Set(primary.lines.filter(listening).map((l) => l["pid"] as number));
    expect(workerPids.size).toBe(2);
    expect(workerPids.has(primary.child.pid ?? -1)).toBe(false);
    expect(await answeringPids(port)).toEqual(workerPids);
  });

  it("replaces a killed worker with a new process", async () => {
    const port = await freePort();
    const primary = startPrimary({ PORT: String(port) });
    await primary.waitFor(() => primary.lines.filter(listening).length >= 2);
    const [victim, survivor] = primary.lines.filter(listening).map((l) => l["pid"] as number);
    process.kill(victim ?? -1, "SIGKILL");
    const exited = await primary.waitFor((l) => l["msg"] === "worker exited; starting a new one");
    expect(exited).toMatchObject({ pid: victim, signal: "SIGKILL" });
    await primary.waitFor(() => primary.lines.filter(listening).length >= 3);
    const replacement = primary.lines.filter(listening)[2]?.["pid"] as number;
    expect([victim, survivor]).not.toContain(replacement);
    expect(await answeringPids(port)).toEqual(new Set([survivor, replacement]));
  });

  it("gives up on workers that keep crashing: a fatal line and exit code 70 once the cap is reached", async () => {
    const primary = startPrimary({ PORT: String(await freePort()), WORKERS_MODE: "crash" });
    const [code] = (await once(primary.child, "exit")) as [number | null];
    expect(code).toBe(EXIT_CODES.crashLoop);
    expect(code).toBe(70);
    expect(primary.lines.filter((l) => l["msg"] === "worker not started")).not.toHaveLength(0);
    expect(primary.lines.find((l) => l["msg"] === "workers keep crashing; giving up")).toMatchObject({ level: 60, exits: 3, windowMs: 30_000 });
  });
});
