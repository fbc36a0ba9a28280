import cluster from "node:cluster";
import type { Logger } from "pino";
import { flushLogs, LOG_FLUSH_TIMEOUT_MS } from "../log/stdout.js";
import { warnIfHeapExceedsMemoryLimit } from "../runtime/heap-limit.js";
import { EXIT_CODES, exitCodeFor } from "./exit-codes.js";

/** A worker that dies this many times within {@link CRASH_LOOP_WINDOW_MS} makes the primary give up. */
export const CRASH_LOOP_MAX_EXITS = 5;
/** The window of {@link CRASH_LOOP_MAX_EXITS}. */
export const CRASH_LOOP_WINDOW_MS = 60_000;

/** Exits once the buffered log lines are written (or stdout stopped taking them). */
function exitAfterLogs(code: number): void {
  void flushLogs(LOG_FLUSH_TIMEOUT_MS).finally(() => process.exit(code));
}

export interface RunWorkersOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Starts the service in this process; resolves to the function that stops it gracefully. */
  readonly start: () => Promise<() => Promise<void>>;
  /** How long a graceful stop may take before the process exits anyway (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** The crash-loop cap: this many unexpected worker exits within `windowMs` stop everything (exit 70). */
  readonly crashLoop?: { readonly maxExits: number; readonly windowMs: number };
}

/**
 * Runs the service in this process (`workers` = 1) or in `workers` processes sharing the
 * listening ports through `node:cluster`. The primary restarts a worker that dies unexpectedly (at
 * most one restart a second), and gives up when workers exit {@link CRASH_LOOP_MAX_EXITS} times within
 * {@link CRASH_LOOP_WINDOW_MS}: it stops the others and exits with `EXIT_CODES.crashLoop` (70), so a
 * supervisor (systemd, Kubernetes) sees a failing service instead of a primary restarting broken workers
 * forever. SIGTERM/SIGINT are forwarded so that every worker drains and exits.
 */
export async function runWorkers(options: RunWorkersOptions): Promise<void> {
  const { workers, logger } = options;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  warnIfHeapExceedsMemoryLimit(logger);
  if (workers <= 1 || cluster.isWorker) {
    let stop: () => Promise<void>;
    try {
      stop = await options.start();
    } catch (error) {
      if (!cluster.isWorker) throw error;
      logger.fatal({ err: error }, "worker not started");
      exitAfterLogs(exitCodeFor(error));
      return;
    }
    onSignals(logger, stop, shutdownTimeoutMs);
    if (cluster.isWorker) process.send?.({ gatehouse: "ready" });
    return;
  }
  const cap = options.crashLoop ?? { maxExits: CRASH_LOOP_MAX_EXITS, windowMs: CRASH_LOOP_WINDOW_MS };
  let stopping = false;
  let finalCode: number = EXIT_CODES.ok;
  let lastRestart = 0;
  const exits: number[] = [];
  const fork = () => {
    if (!stopping) cluster.fork();
  };
  const stopAll = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "stopping workers");
    finalCode = exitCode;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    if (Object.keys(cluster.workers ?? {}).length === 0) exitAfterLogs(exitCode);
    setTimeout(() => process.exit(exitCode === EXIT_CODES.ok ? EXIT_CODES.failure : exitCode), shutdownTimeoutMs + 1000).unref();
  };
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) exitAfterLogs(finalCode);
      return;
    }
    const now = Date.now();
    exits.push(now);
    while (exits.length > 0 && (exits[0] ?? now) <= now - cap.windowMs) exits.shift();
    if (exits.length >= cap.maxExits) {
      logger.fatal({ pid: worker.process.pid, code, signal, exits: exits.length, windowMs: cap.windowMs }, "workers keep crashing; giving up");
      stopAll("crash loop", EXIT_CODES.crashLoop);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "worker exited; starting a new one");
    const wait = Math.max(0, lastRestart + 1000 - now);
    lastRestart = now + wait;
    // Not unref'd: with every worker dead this timer is all that keeps the primary alive until the restart.
    setTimeout(fork, wait);
  });
  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers }, "started workers");
  process.once("SIGTERM", (signal) => stopAll(signal, EXIT_CODES.ok));
  process.once("SIGINT", (signal) => stopAll(signal, EXIT_CODES.ok));
}

function onSignals(logger: Logger, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error("graceful shutdown timed out");
      exitAfterLogs(EXIT_CODES.failure);
    }, timeoutMs).unref();
    stop().then(
      () => exitAfterLogs(EXIT_CODES.ok),
      (error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        exitAfterLogs(EXIT_CODES.failure);
      },
    );
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}
