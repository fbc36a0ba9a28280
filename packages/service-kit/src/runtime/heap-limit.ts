import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import type { Logger } from "pino";

/** The share of the memory limit V8's heap may take before the process warns at start. */
export const HEAP_SHARE_WARNING = 0.75;

/** The process's memory limit (cgroup) in bytes, or `undefined` when none is below the machine's memory. */
export function memoryLimitBytes(): number | undefined {
  const limit = process.constrainedMemory();
  return limit > 0 && limit < totalmem() ? limit : undefined;
}

/**
 * Warns when V8 may grow its heap beyond 75 % of the container's memory limit: Node sizes the heap from the cgroup
 * limit, up to the whole of it, which leaves no room for buffers, code and the rest, so the kernel kills the process
 * before V8 collects. `NODE_OPTIONS=--max-old-space-size=MiB` fixes it (docs/operations.md, "Log delivery and memory limits").
 */
export function warnIfHeapExceedsMemoryLimit(logger: Logger): void {
  const limit = memoryLimitBytes();
  if (limit === undefined) return;
  const heapLimit = getHeapStatistics().heap_size_limit;
  if (heapLimit <= limit * HEAP_SHARE_WARNING) return;
  const suggestedMiB = Math.floor((limit * 0.6) / (1024 * 1024));
  logger.warn(
    { heapLimitBytes: heapLimit, memoryLimitBytes: limit },
    `V8's heap limit (${mib(heapLimit)} MiB) exceeds 75% of the memory limit (${mib(limit)} MiB): set NODE_OPTIONS=--max-old-space-size=${String(suggestedMiB)} or lower`,
  );
}

function mib(bytes: number): string {
  return String(Math.round(bytes / (1024 * 1024)));
}
