#!/usr/bin/env node
/**
 * Starts the gateway: `node packages/gateway/dist/main.js --config FILE` (bin `gatehouse-gateway`).
 *
 * Flags and variables (flags beat variables, variables beat the file): `--config`/
 * `GATEHOUSE_CONFIG`, `--port`/`PORT` (default 8080), `--admin-port`/`ADMIN_PORT` (default 9090),
 * `--host`/`HOST` (default 127.0.0.1, both ports), `--workers N|auto`/`WORKERS` (default 1; more than one requires `REDIS_URL`, since limits are
 * exact only through a shared store), `REDIS_URL` (absent: limits in memory, logged),
 * `GATEHOUSE_ISSUER`/`GATEHOUSE_JWKS_URI` (override the file), `EVENTS_REDIS_URL` (where security
 * events go, default `REDIS_URL`). SIGTERM/SIGINT drain in-flight
 * requests and exit; SIGHUP reloads the route table from the same file (or keeps the old one and
 * logs why).
 */
import cluster from "node:cluster";
import { createLogger, packageVersion, runService, runWorkers, StartFlagError, type Logger, type StartFlags } from "@gatehouse/service-kit";
import { loadGatewayConfig } from "./config/load.js";
import type { GatewayConfig } from "./config/schema.js";
import { createGateway } from "./server.js";

const DEFAULT_PORT = 8080;
const DEFAULT_ADMIN_PORT = 9090;
const DEFAULT_HOST = "127.0.0.1";

/** `gatehouse-gateway --help`. */
const USAGE = `usage: gatehouse-gateway --config FILE [options]

  -c, --config FILE      the gateway config file (or GATEHOUSE_CONFIG)
  -p, --port N           proxy port (or PORT; default ${DEFAULT_PORT}; 0 = any free port)
      --admin-port N     admin port: /metrics, /healthz, /readyz (or ADMIN_PORT; default ${DEFAULT_ADMIN_PORT})
      --host ADDRESS     interface of both ports (or HOST; default ${DEFAULT_HOST})
  -w, --workers N|auto   processes sharing the ports (or WORKERS; default 1; above 1 needs REDIS_URL)
  -h, --help             print this help and exit
      --version          print the version and exit

environment: REDIS_URL (redis://, rediss:// or redis+sentinel://host:port,host:port/mastername),
  REDIS_USERNAME, REDIS_PASSWORD_FILE, GATEHOUSE_ISSUER, GATEHOUSE_JWKS_URI,
  EVENTS_REDIS_URL (where security events go; default REDIS_URL)
signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the route table
exit codes: 0 stopped, 1 unexpected error, 64 bad flag, 69 Redis/port unavailable, 70 workers crash-looping, 78 bad config
`;

async function start(logger: Logger, flags: StartFlags): Promise<void> {
  if (flags.config === undefined) throw new StartFlagError("--config FILE is required (or GATEHOUSE_CONFIG)");
  const config = loadGatewayConfig(flags.config);
  if ((flags.workers ?? 1) > 1 && flags.redisUrl === undefined) {
    throw new StartFlagError("--workers above 1 requires REDIS_URL: rate limits are exact across processes only through Redis");
  }
  const file = flags.config;
  const workers = flags.workers ?? 1;
  const port = flags.port ?? DEFAULT_PORT;
  const adminPort = flags.adminPort ?? DEFAULT_ADMIN_PORT;
  const host = flags.host ?? DEFAULT_HOST;
  const redisUrl = flags.redisUrl;
  const eventsRedisUrl = process.env["EVENTS_REDIS_URL"] ?? redisUrl;
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
      const gateway = createGateway(withReplicas(config), {
        logger,
        ...(redisUrl === undefined ? {} : { redisUrl }),
        ...(eventsRedisUrl === undefined ? {} : { eventsRedisUrl }),
      });
      try {
        const listening = await gateway.listen(port, host);
        const admin = await gateway.listenAdmin(adminPort, host);
        logger.info({ port: listening.port, adminPort: admin.port, routes: config.routes.length, workers, redis: redisUrl !== undefined }, "gateway listening");
      } catch (error) {
        await gateway.close();
        throw error;
      }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function problemsOf(error: unknown): unknown {
  return (error as { problems?: unknown } | null)?.problems;
}

const logger = createLogger("gateway");
await runService(
  { command: "gatehouse-gateway", name: "gateway", version: packageVersion(import.meta.url), usage: USAGE, logger, flags: { adminPort: true }, start: (flags) => start(logger, flags) },
  process.argv.slice(2),
  process.env,
);
