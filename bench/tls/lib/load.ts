// Runs the TLS load generator (servers/load.js) as a child process of the group, bounded, and reads its result.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serversDir } from "../paths.js";
import { RESULT_PREFIX, type LoadResult, type LoadSpec } from "./load-spec.js";
import type { ProcessGroup } from "../../lib/processes.js";

let runs = 0;

/**
 * Writes `spec` to `<dir>/load-<n>.json`, runs the generator with it (stopped by PID after its warm-up and duration
 * plus 60 s), and returns the `LOAD_JSON` line it printed. Its output stays in `<dir>/load-<n>.log`.
 */
export async function runLoad(group: ProcessGroup, dir: string, spec: LoadSpec, env: Readonly<Record<string, string>> = {}): Promise<LoadResult> {
  runs += 1;
  const name = `load-${String(runs).padStart(3, "0")}`;
  const specFile = join(dir, `${name}.json`);
  await writeFile(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  const started = group.spawn({ name, command: process.execPath, args: [join(serversDir, "load.js"), specFile], env: { ...process.env, ...env } });
  const bound = setTimeout(() => void group.stop(started), (spec.warmupSec + spec.durationSec + 60) * 1_000);
  const code = await started.exited;
  clearTimeout(bound);
  const out = await readFile(started.logFile, "utf8");
  const line = out.split("\n").find((candidate) => candidate.startsWith(RESULT_PREFIX));
  if (code !== "0" || line === undefined) throw new Error(`the load generator failed (exit ${code}) for ${spec.label}; see ${started.logFile}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as LoadResult;
}
