import { appendFile, readFile, writeFile } from "node:fs/promises";
import type { RatioResult } from "./report.js";

/** What one run adds to the log of runs. */
export interface RunLogEntry {
  readonly startedAt: string;
  readonly command: string;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly probeBefore: number;
  readonly probeAfter: number;
  readonly ratios: readonly RatioResult[];
}

const HEADER = `# Gateway benchmark: every run

Appended by \`pnpm bench:gateway\` at the end of each run (bench/gateway/lib/run-log.ts), whatever its outcome, so the
day's runs are all listed and not only the best. A run **fails** when any target (not the informative ratios) is
missed. Ratios are medians of the round-paired ratios of that run. Load average 1/5/15 min; second-core probe: ES256
signatures per second of two busy processes over one (2.0 = a free second core), before and after the rounds.

| started (UTC) | command | load before → after | probe before / after | medians (target) | verdict |
| --- | --- | --- | --- | --- | --- |
`;

function fmt(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(" / ");
}

/** Appends one row for this run to `file`, creating it with its header first. */
export async function appendRunLog(file: string, entry: RunLogEntry): Promise<void> {
  const exists = await readFile(file, "utf8").then(
    () => true,
    () => false,
  );
  if (!exists) await writeFile(file, HEADER);
  const targets = entry.ratios.filter((r) => !r.informative);
  const medians = targets
    .map((r) => `${r.name}: ${r.median.toFixed(2)}× (${r.kind === "min" ? "≥" : "≤"} ${r.bound.toFixed(2)}×)${r.met ? "" : " **missed**"}`)
    .join("; ");
  const verdict = targets.length === 0 ? "no target among the scenarios run" : targets.every((r) => r.met) ? "met every target" : "**failing**";
  const row = `| ${entry.startedAt} | \`${entry.command}\` | ${fmt(entry.loadBefore)} → ${fmt(entry.loadAfter)} | ${entry.probeBefore.toFixed(2)}× / ${entry.probeAfter.toFixed(2)}× | ${medians} | ${verdict} |\n`;
  await appendFile(file, row);
}
