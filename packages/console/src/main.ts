#!/usr/bin/env node
/**
 * Starts the console: `node packages/console/dist/main.js --config FILE` (bin `gatehouse-console`).
 *
 * Flags and variables (flags beat variables, variables beat the file): `--config`/
 * `GATEHOUSE_CONFIG`, `--port`/`PORT` (default 9400), `--host`/`HOST` (default 127.0.0.1),
 * `REDIS_URL` (required: the event stream; `REDIS_PASSWORD_FILE` for its password),
 * `GATEHOUSE_ADMIN_TOKEN` or a file named by `GATEHOUSE_ADMIN_TOKEN_FILE` (the admin credential,
 * also used for `disable`/`revoke` responses), `GATEHOUSE_ISSUER` (overrides `authServer.issuer`).
 * One process only: its baselines live in memory. SIGTERM/SIGINT close it.
 */
import { readFileSync } from "node:fs";
import { createLogger, parseStartFlags, runWorkers } from "@gatehouse/service-kit";
import { loadConsoleConfig } from "./config/load.js";
import type { ConsoleConfig } from "./config/schema.js";
import { createConsole } from "./server.js";

const DEFAULT_PORT = 9400;
const DEFAULT_HOST = "127.0.0.1";

class StartError extends Error {
  readonly code = "invalid_start_flag";
}

async function main(): Promise<void> {
  const logger = createLogger("console");
  let flags: ReturnType<typeof parseStartFlags>;
  let config: ConsoleConfig;
  let redisUrl: string;
  const env = { ...process.env };
  try {
    flags = parseStartFlags(process.argv.slice(2), process.env);
    if (flags.config === undefined) throw new StartError("--config FILE is required (or GATEHOUSE_CONFIG)");
    if ((flags.workers ?? 1) > 1) throw new StartError("--workers must be 1: the console keeps its baselines in one process");
    config = loadConsoleConfig(flags.config);
    if (flags.redisUrl === undefined) throw new StartError("REDIS_URL is required: the console reads the event stream from Redis");
    redisUrl = flags.redisUrl;
    const tokenFile = env[`${config.access.tokenEnv}_FILE`];
    if (tokenFile !== undefined && tokenFile !== "") {
      try {
        env[config.access.tokenEnv] = readFileSync(tokenFile, "utf8").trim();
      } catch (error) {
        throw new StartError(`${config.access.tokenEnv}_FILE: ${tokenFile} cannot be read (${error instanceof Error ? error.message : String(error)})`);
      }
    }
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    logger.fatal({ code, problems: (error as { problems?: unknown } | null)?.problems }, `console not started: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = code === "invalid_config" ? 78 : 64;
    return;
  }
  const port = flags.port ?? DEFAULT_PORT;
  const host = flags.host ?? DEFAULT_HOST;
  await runWorkers({
    workers: 1,
    logger,
    shutdownTimeoutMs: 5_000,
    start: async () => {
      const securityConsole = createConsole(config, { redisUrl, logger, env });
      const listening = await securityConsole.listen(port, host);
      logger.info({ port: listening.port, host, stream: config.stream, learningSeconds: config.learningSeconds }, "console listening");
      return () => securityConsole.close();
    },
  });
}

main().catch((error: unknown) => {
  createLogger("console").fatal({ err: error }, "console failed to start");
  process.exitCode = 1;
});
