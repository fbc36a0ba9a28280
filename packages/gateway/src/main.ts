#!/usr/bin/env node
/**
 * Starts the gateway: `node packages/gateway/dist/main.js --config FILE` (bin `gatehouse-gateway`).
 *
 * Flags and variables (flags beat variables, variables beat the file): `--config`/
 * `GATEHOUSE_CONFIG`, `--port`/`PORT` (default 8080), `--admin-port`/`ADMIN_PORT` (default 9090),
 * `--host`/`HOST` (default 127.0.0.1, both ports), `--workers N|auto`/`WORKERS` (default 1; more than one requires `REDIS_URL`, since limits are
 * exact only through a shared store), `REDIS_URL` (absent: limits in memory, logged),
 * `GATEHOUSE_ISSUER`/`GATEHOUSE_JWKS_URI` (override the file). SIGTERM/SIGINT drain in-flight
 * requests and exit; SIGHUP reloads the route table from the same file (or keeps the old one and
 * logs why).
 */
import cluster from "node:cluster";
import { createLogger, parseStartFlags, runWorkers, type Logger } from "@gatehouse/service-kit";
import { loadGatewayConfig } from "./config/load.js";
import type { GatewayConfig } from "./config/schema.js";
import { createGateway } from "./server.js";

const DEFAULT_PORT = 8080;
const DEFAULT_ADMIN_PORT = 9090;
const DEFAULT_HOST = "127.0.0.1";

async function main(): Promise<void> {
  const logger = createLogger("gateway");
  let flags: ReturnType<typeof parseStartFlags>;
  let config: GatewayConfig;
  try {
    flags = parseStartFlags(process.argv.slice(2), process.env, { adminPort: true });
    if (flags.config === undefined) throw new StartError("--config FILE is required (or GATEHOUSE_CONFIG)");
    config = loadGatewayConfig(flags.config);
    if ((flags.workers ?? 1) > 1 && flags.redisUrl === undefined) {
      throw new StartError("--workers above 1 requires REDIS_URL: rate limits are exact across processes only through Redis");
    }
  } catch (error) {
    refuse(logger, error);
    return;
  }
  const file = flags.config;
  const workers = flags.workers ?? 1;
  const port = flags.port ?? DEFAULT_PORT;
  const adminPort = flags.adminPort ?? DEFAULT_ADMIN_PORT;
  const host = flags.host ?? DEFAULT_HOST;
  const redisUrl = flags.redisUrl;
  // Each worker's in-process fallback takes its share of the limit.
  const withReplicas = (c: GatewayConfig): GatewayConfig =>
    c.rateLimiting.replicas >= workers ? c : { ...c, rateLimiting: { ...c.rateLimiting, replicas: workers } };

  if (cluster.isPrimary && workers > 1) {
    process.on("SIGHUP", () => {
      logger.info("SIGHUP: asking every worker to reload");
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGHUP");
    });
  }

  await runWorkers({
    workers,
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs + 2_000,
    start: async () => {
      const gateway = createGateway(withReplicas(config), { logger, ...(redisUrl === undefined ? {} : { redisUrl }) });
      const listening = await gateway.listen(port, host);
      const admin = await gateway.listenAdmin(adminPort, host);
      logger.info({ port: listening.port, adminPort: admin.port, routes: config.routes.length, workers, redis: redisUrl !== undefined }, "gateway listening");
      process.on("SIGHUP", () => reload(logger, file, gateway.reload.bind(gateway), withReplicas));
      return () => gateway.close();
    },
  });
}

function reload(logger: Logger, file: string, apply: (config: GatewayConfig) => boolean, adjust: (c: GatewayConfig) => GatewayConfig): void {
  let next: GatewayConfig;
  try {
    next = adjust(loadGatewayConfig(file));
  } catch (error) {
    logger.error({ problems: problemsOf(error) }, `config not reloaded, keeping the current route table: ${messageOf(error)}`);
    return;
  }
  apply(next);
}

class StartError extends Error {
  readonly code = "invalid_start_flag";
}

function refuse(logger: Logger, error: unknown): void {
  logger.fatal({ code: codeOf(error), problems: problemsOf(error) }, `gateway not started: ${messageOf(error)}`);
  process.exitCode = codeOf(error) === "invalid_config" ? 78 : 64;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function problemsOf(error: unknown): unknown {
  return (error as { problems?: unknown } | null)?.problems;
}

main().catch((error: unknown) => {
  const logger = createLogger("gateway");
  logger.fatal({ err: error }, "gateway failed to start");
  process.exitCode = 1;
});
