import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ProcessGroup, Started } from "../../lib/processes.js";
import type { Measurement } from "../../lib/wrk.js";

/** System calls a proxy made per request served, by name (from `strace -c`). */
export interface SyscallCount {
  readonly scenario: string;
  readonly requests: number;
  readonly perRequest: readonly { readonly name: string; readonly calls: number }[];
  readonly totalPerRequest: number;
}

/** Parses the summary table of `strace -c` into calls by syscall name. */
export function parseStraceSummary(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of text.split("\n")) {
    // % time     seconds  usecs/call     calls    errors syscall
    const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && match[2] !== "total") calls.set(match[2], Number(match[1]));
  }
  return calls;
}

/**
 * Counts the system calls of `target` (every thread) with `strace -c` while `load` runs, and divides
 * them by the requests served. strace slows the process down, so only the counts mean anything:
 * how many reads, writes and polls one proxied request costs.
 */
export async function countSyscalls(
  group: ProcessGroup,
  dir: string,
  scenario: string,
  target: Started,
  load: () => Promise<Measurement>,
): Promise<SyscallCount> {
  const file = join(dir, `strace-${scenario}.txt`);
  const tracer = group.spawn({ name: `strace-${scenario}`, command: "strace", args: ["-c", "-f", "-qq", "-o", file, "-p", String(target.pid)] });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const measurement = await load();
  await group.stop(tracer);
  const calls = parseStraceSummary(await readFile(file, "utf8"));
  const requests = Math.max(1, measurement.requests);
  const perRequest = [...calls.entries()]
    .map(([name, n]) => ({ name, calls: n / requests }))
    .filter((entry) => entry.calls >= 0.01)
    .sort((a, b) => b.calls - a.calls);
  return { scenario, requests: measurement.requests, perRequest, totalPerRequest: perRequest.reduce((sum, e) => sum + e.calls, 0) };
}
