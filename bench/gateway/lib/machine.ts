import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * Makes sure the given commands are installed (each Debian package is named like its command:
 * `wrk`, `haproxy`, `strace`), with apt-get when one is missing. The benchmark runs as root on a
 * Debian machine; tests never install anything.
 */
export function ensureTools(commands: readonly string[]): void {
  const missing = commands.filter((command) => !has(command));
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(", ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env, timeout: 300_000 });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env, timeout: 600_000 });
}

/** Facts about the machine and the software under test, for the results file. */
export interface MachineFacts {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly haproxy: string;
  readonly wrk: string;
  readonly redis: string;
}

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]?.trim() ?? "";
  } catch (error) {
    // `wrk --version` prints its banner and exits 1.
    const stdout = (error as { stdout?: unknown }).stdout;
    return typeof stdout === "string" ? (stdout.split("\n")[0]?.trim() ?? "") : "unknown";
  }
}

/** Reads nproc, CPU model, kernel and the versions of node, haproxy, wrk and redis-server. */
export function machineFacts(): MachineFacts {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  return {
    nproc: Number(firstLine("nproc", [])),
    cpuModel: model.trim(),
    kernel: firstLine("uname", ["-sr"]),
    node: process.version,
    haproxy: firstLine("haproxy", ["-v"]).replace(/ - https?:\/\/\S+/, ""),
    wrk: firstLine("wrk", ["--version"]).replace(/ Copyright.*$/, ""),
    redis: firstLine("redis-server", ["--version"]).replace(/ sha=.*$/, ""),
  };
}
