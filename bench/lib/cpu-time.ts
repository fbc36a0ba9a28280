import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/**
 * CPU seconds (user + system, every thread, libuv's thread pool included) a running process has used so far,
 * from `/proc/<pid>/stat` (Linux). Two readings around a measurement give the process's CPU share during it:
 * 1.0 = one full core.
 */
export function cpuSeconds(pid: number): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  // The command name (field 2) may contain spaces; the fields after it start at its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * {@link cpuSeconds} of `pid` plus those of its running child processes (the workers of a `--workers 2` gateway,
 * which `node:cluster` forks), from `/proc/<pid>/task/<tid>/children`.
 */
export function processTreeCpuSeconds(pid: number): number {
  let total = cpuSeconds(pid);
  for (const task of readdirSync(`/proc/${String(pid)}/task`)) {
    const children = readFileSync(`/proc/${String(pid)}/task/${task}/children`, "utf8").trim();
    for (const child of children === "" ? [] : children.split(" ")) total += cpuSeconds(Number(child));
  }
  return total;
}
