// Timing loops: run an operation back to back for a fixed duration and report operations per second.

export interface Measurement {
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Runs `operation` (sync or async, awaited one at a time) for `durationMs` after `warmupMs`. */
export async function measure(durationMs: number, warmupMs: number, operation: (i: number) => unknown): Promise<Measurement> {
  let i = 0;
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) await operation(i++);
  const start = performance.now();
  const end = start + durationMs;
  let operations = 0;
  // Check the clock every 64 operations: reading it costs about as much as a cached verification.
  while (true) {
    for (let batch = 0; batch < 64; batch += 1) {
      const result = operation(i++);
      if (result instanceof Promise) await result;
    }
    operations += 64;
    if (performance.now() >= end) break;
  }
  const seconds = (performance.now() - start) / 1000;
  return { operations, seconds, perSecond: operations / seconds };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
