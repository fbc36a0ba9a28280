// What every benchmark command does the same way: its arguments, its integer flags, and stopping every process it
// started whatever the way it ends.
import { ProcessGroup } from "./processes.js";

/** The command's arguments, without the leading "--" that `pnpm bench:<name> -- …` hands the script. */
export function benchArgs(): string[] {
  const argv = process.argv.slice(2);
  if (argv[0] === "--") argv.shift();
  return argv;
}

/** `value` of the flag `--name` as an integer of at least `min`; throws naming the flag otherwise. */
export function integerFlag(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${String(min)}, got ${value}`);
  return n;
}

/**
 * Runs `main` with a process group logging into `dir`. Every process of the group is stopped by PID when `main`
 * returns or throws (exit code 1, the message printed) and on SIGINT or SIGTERM (exit code 130).
 */
export async function runWithProcessGroup(dir: string, main: (group: ProcessGroup) => Promise<void>): Promise<void> {
  const group = new ProcessGroup(dir);
  const stopOnSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping every process this benchmark started`);
    void group.stopAll().then(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    await main(group);
  } catch (error) {
    process.exitCode = 1;
    console.error(error instanceof Error ? error.message : error);
  } finally {
    await group.stopAll();
  }
}
