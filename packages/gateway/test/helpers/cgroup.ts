import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const MEMORY_ROOT = "/sys/fs/cgroup/memory";

/** A cgroup v1 memory cgroup of its own, with a limit, for a child process started into it. */
export interface MemoryCgroup {
  /** The `cgroup.procs` file a process writes its pid to, to join. */
  readonly procs: string;
  readonly limitBytes: number;
  /** The kernel's count of OOM kills in this cgroup. */
  oomKills(): number;
  /** Removes the cgroup once its processes have exited (waits up to 5 s for them). */
  remove(): Promise<void>;
}

/**
 * Creates `/sys/fs/cgroup/memory/<name>` with `memory.limit_in_bytes` = `limitBytes`. Throws, naming what is missing,
 * when the machine has no writable cgroup v1 memory controller: the test needs a real memory cap, not an imitation.
 */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  if (!existsSync(join(MEMORY_ROOT, "memory.limit_in_bytes"))) {
    throw new Error(`no cgroup v1 memory controller at ${MEMORY_ROOT}: this test needs one (run as root on a cgroup v1 host)`);
  }
  const dir = join(MEMORY_ROOT, `${name}-${String(process.pid)}-${String(Date.now())}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "memory.limit_in_bytes"), String(limitBytes));
  // No swap to hide in: when the limit binds, the kernel reclaims page cache or kills.
  writeFileSync(join(dir, "memory.swappiness"), "0");
  return {
    procs: join(dir, "cgroup.procs"),
    limitBytes,
    oomKills() {
      const match = /^oom_kill (\d+)$/m.exec(readFileSync(join(dir, "memory.oom_control"), "utf8"));
      return match === null ? 0 : Number(match[1]);
    },
    async remove() {
      const deadline = Date.now() + 5_000;
      while (readFileSync(join(dir, "cgroup.procs"), "utf8").trim() !== "" && Date.now() < deadline) await sleep(50);
      rmdirSync(dir);
    },
  };
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), in bytes. */
export function residentMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}
