import { createLogger, parseStartFlags, runWorkers, StartFlagError, type Logger } from "@gatehouse/service-kit";
import { loadAuthServerConfig, parseAuthServerConfig } from "./config/load.js";
import type { AuthServerConfig } from "./config/schema.js";
import { SigningKeys } from "./keys/signing-keys.js";
import { createAuthServer } from "./server.js";

/** Default port of the auth server (docs/architecture.md, "Interfaces operators script against"). */
export const DEFAULT_PORT = 4000;

/** What `main.js` / `gatehouse-auth serve` decided from flags, environment and the config file. */
export interface StartPlan {
  readonly config: AuthServerConfig;
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly redisUrl: string | undefined;
}

/**
 * Reads the start flags strictly (`--config`, `--port`/`PORT`, `--workers N|auto`/`WORKERS`),
 * `--host`/`HOST` (default 127.0.0.1), `GATEHOUSE_ISSUER` (beats the file's `issuer`), `REDIS_URL` and
 * `REDIS_PASSWORD_FILE` (a password kept out of the URL). More than one worker needs `REDIS_URL`
 * (the replay cache and the registry must be shared) and keys that are not per-process memory keys.
 */
export function planStart(argv: readonly string[], env: NodeJS.ProcessEnv): StartPlan {
  const flags = parseStartFlags(argv, env);
  if (flags.config === undefined) throw new StartFlagError("--config FILE is required (or set GATEHOUSE_CONFIG)");
  let config = loadAuthServerConfig(flags.config);
  const issuer = env["GATEHOUSE_ISSUER"]?.trim();
  if (issuer !== undefined && issuer !== "") {
    config = parseAuthServerConfig({ ...config, issuer }, "GATEHOUSE_ISSUER");
  }
  const workers = flags.workers ?? 1;
  const redisUrl = flags.redisUrl;
  if (workers > 1 && redisUrl === undefined) {
    throw new StartFlagError(`--workers ${workers} needs REDIS_URL: the assertion replay cache and the registry must be shared by every worker`);
  }
  if (workers > 1 && config.keys.file === undefined && config.keys.generate === "memory") {
    throw new StartFlagError(`--workers ${workers} cannot use keys.generate: memory (each worker would sign with its own key)`);
  }
  return { config, port: flags.port ?? DEFAULT_PORT, host: flags.host ?? "127.0.0.1", workers, redisUrl };
}

/** Starts the planned server in this process or in `workers` cluster workers; SIGTERM drains them. */
export async function serve(plan: StartPlan, logger: Logger = createLogger("auth-server")): Promise<void> {
  // Dev keys are created once, before any worker exists, so every worker signs with the same key.
  SigningKeys.fromConfig(plan.config.keys, logger);
  await runWorkers({
    workers: plan.workers,
    logger,
    start: async () => {
      const server = createAuthServer(plan.config, plan.redisUrl === undefined ? { logger } : { logger, redisUrl: plan.redisUrl });
      await server.listen(plan.port, plan.host);
      return () => server.close();
    },
  });
}
