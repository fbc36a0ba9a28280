#!/usr/bin/env node
/**
 * Starts the console: `node packages/console/dist/main.js --config FILE` (bin `gatehouse-console`).
 * The flags, `--help`, `--version` and exit codes are every Gatehouse service's (service-kit
 * `runService`); see {@link USAGE}. One process only: its baselines live in memory.
 */
import { readFileSync } from "node:fs";
import { createLogger, packageVersion, runService, runWorkers, StartFlagError, type Logger, type StartFlags } from "@gatehouse/service-kit";
import { loadConsoleConfig } from "./config/load.js";
import { createConsole } from "./server.js";

const DEFAULT_PORT = 9400;
const DEFAULT_HOST = "127.0.0.1";

/** `gatehouse-console --help`. */
const USAGE = `usage: gatehouse-console --config FILE [options]

  -c, --config FILE      the console config file (or GATEHOUSE_CONFIG)
  -p, --port N           port of the page and its API (or PORT; default ${DEFAULT_PORT}; 0 = any free port)
      --host ADDRESS     interface to listen on (or HOST; default ${DEFAULT_HOST})
  -h, --help             print this help and exit
      --version          print the version and exit

environment: REDIS_URL (required: the event stream; redis://, rediss:// or
  redis+sentinel://host:port,host:port/mastername), REDIS_USERNAME, REDIS_PASSWORD_FILE,
  GATEHOUSE_ADMIN_TOKEN or GATEHOUSE_ADMIN_TOKEN_FILE (the admin credential), GATEHOUSE_ISSUER
signals: SIGTERM/SIGINT close and exit 0
exit codes: 0 stopped, 1 unexpected error, 64 bad flag, 69 port unavailable, 78 bad config
`;

async function start(logger: Logger, flags: StartFlags, env: NodeJS.ProcessEnv): Promise<void> {
  if (flags.config === undefined) throw new StartFlagError("--config FILE is required (or GATEHOUSE_CONFIG)");
  if ((flags.workers ?? 1) > 1) throw new StartFlagError("--workers must be 1: the console keeps its baselines in one process");
  const config = loadConsoleConfig(flags.config, env);
  if (flags.redisUrl === undefined) throw new StartFlagError("REDIS_URL is required: the console reads the event stream from Redis");
  const redisUrl = flags.redisUrl;
  const withToken = { ...env };
  const tokenFile = env[`${config.access.tokenEnv}_FILE`];
  if (tokenFile !== undefined && tokenFile !== "") {
    try {
      withToken[config.access.tokenEnv] = readFileSync(tokenFile, "utf8").trim();
    } catch (error) {
      throw new StartFlagError(`${config.access.tokenEnv}_FILE: ${tokenFile} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const port = flags.port ?? DEFAULT_PORT;
  const host = flags.host ?? DEFAULT_HOST;
  await runWorkers({
    workers: 1,
    logger,
    shutdownTimeoutMs: 5_000,
    start: async () => {
      const securityConsole = createConsole(config, { redisUrl, logger, env: withToken });
      try {
        const listening = await securityConsole.listen(port, host);
        logger.info({ port: listening.port, host, stream: config.stream, learningSeconds: config.learningSeconds }, "console listening");
      } catch (error) {
        await securityConsole.close();
        throw error;
      }
      return () => securityConsole.close();
    },
  });
}

const logger = createLogger("console");
await runService(
  {
    command: "gatehouse-console",
    name: "console",
    version: packageVersion(import.meta.url),
    usage: USAGE,
    logger,
    start: (flags) => start(logger, flags, process.env),
  },
  process.argv.slice(2),
  process.env,
);
