import cluster from "node:cluster";
import type { Logger } from "pino";

export interface RunWorkersOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Starts the service in this process; resolves to the function that stops it gracefully. */
  readonly start: () => Promise<() => Promise<void>>;
  /** How long a graceful stop may take before the process exits anyway. */
  readonly shutdownTimeoutMs?: number;
}

/**
 * Runs the service in this process (`workers` = 1) or in `workers` processes sharing the
 * listening ports through `node:cluster`. The primary restarts a worker that dies unexpectedly
 * (at most once a second) and forwards SIGTERM/SIGINT so that every worker drains and exits.
 */
export async function runWorkers(options: RunWorkersOptions): Promise<void> {
  const { workers, logger } = options;
  if (workers <= 1 || cluster.isWorker) {
    const stop = await options.start();
    onSignals(logger, stop, options.shutdownTimeoutMs ?? 10_000);
    if (cluster.isWorker) process.send?.({ gatehouse: "ready" });
    return;
  }
  let stopping = false;
  let lastRestart = 0;
  const fork = () => cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "worker exited; starting a new one");
    const wait = Math.max(0, lastRestart + 1000 - Date.now());
    lastRestart = Date.now() + wait;
    setTimeout(fork, wait).unref();
  });
  for (let i = 0; i < workers; i++) fork();
  logger.info({ workers }, "started workers");
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping workers");
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    setTimeout(() => process.exit(1), (options.shutdownTimeoutMs ?? 10_000) + 1000).unref();
  };
  process.once("SIGTERM", stopAll);
  process.once("SIGINT", stopAll);
}

function onSignals(logger: Logger, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    setTimeout(() => {
      logger.error("graceful shutdown timed out");
      process.exit(1);
    }, timeoutMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}
