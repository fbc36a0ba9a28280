import { createLogger, packageVersion, runService, runWorkers, StartFlagError, type Logger, type StartFlags } from "@gatehouse/service-kit";
import { loadAuthServerConfig, parseAuthServerConfig } from "./config/load.js";
import type { AuthServerConfig } from "./config/schema.js";
import { CertificateAuthority } from "./ca/certificate-authority.js";
import { trustDomainOf } from "./ca/spiffe.js";
import { SigningKeys } from "./keys/signing-keys.js";
import { RegistryMac } from "./registry/registry-mac.js";
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
  /** `EVENTS_REDIS_URL`, else `REDIS_URL`: where security events go. */
  readonly eventsRedisUrl: string | undefined;
}

/** `gatehouse-auth serve --help` and `node dist/main.js --help`. */
export const SERVE_USAGE = `usage: gatehouse-auth serve --config FILE [options]   (or: node dist/main.js …)

  -c, --config FILE      the auth server config file (or GATEHOUSE_CONFIG)
  -p, --port N           port (or PORT; default ${DEFAULT_PORT}; 0 = any free port)
      --host ADDRESS     interface to listen on (or HOST; default 127.0.0.1)
  -w, --workers N|auto   processes sharing the port (or WORKERS; default 1; above 1 needs REDIS_URL)
  -h, --help             print this help and exit
      --version          print the version and exit

environment: REDIS_URL (redis://, rediss:// or redis+sentinel://host:port,host:port/mastername),
  REDIS_USERNAME, REDIS_PASSWORD_FILE, GATEHOUSE_ISSUER, GATEHOUSE_ADMIN_TOKEN,
  EVENTS_REDIS_URL (where security events go; default REDIS_URL)
signals: SIGTERM/SIGINT drain and exit 0
exit codes: 0 stopped, 1 unexpected error, 64 bad flag, 69 Redis/port unavailable, 70 workers crash-looping, 78 bad config
`;

/**
 * Decides the start from the strict start flags (`--config`, `--port`/`PORT`, `--workers N|auto`/`WORKERS`,
 * `--host`/`HOST`, default 127.0.0.1, `REDIS_URL` with `REDIS_USERNAME` and `REDIS_PASSWORD_FILE`),
 * `GATEHOUSE_ISSUER` (beats the file's `issuer`) and `EVENTS_REDIS_URL` (where security events go, default
 * `REDIS_URL`). More than one worker needs `REDIS_URL`
 * (the replay cache and the registry must be shared) and keys that are not per-process memory keys.
 */
export function planStart(flags: StartFlags, env: NodeJS.ProcessEnv): StartPlan {
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
  const eventsRedisUrl = env["EVENTS_REDIS_URL"]?.trim() || redisUrl;
  return { config, port: flags.port ?? DEFAULT_PORT, host: flags.host ?? "127.0.0.1", workers, redisUrl, eventsRedisUrl };
}

/**
 * The auth server binary (`node dist/main.js …` and `gatehouse-auth serve …`): `--help`, `--version`,
 * the start, and the exit codes every Gatehouse service shares.
 */
export function runAuthServer(argv: readonly string[], env: NodeJS.ProcessEnv, logger: Logger = createLogger("auth-server")): Promise<void> {
  return runService(
    {
      command: "gatehouse-auth",
      name: "auth server",
      version: packageVersion(import.meta.url),
      usage: SERVE_USAGE,
      logger,
      start: (flags) => serve(planStart(flags, env), logger),
    },
    argv,
    env,
  );
}

/** Starts the planned server in this process or in `workers` cluster workers; SIGTERM drains them. */
export async function serve(plan: StartPlan, logger: Logger = createLogger("auth-server")): Promise<void> {
  // Dev keys are created once, before any worker exists, so every worker signs with the same key.
  SigningKeys.fromConfig(plan.config.keys, logger);
  if (plan.redisUrl !== undefined) RegistryMac.fromConfig(plan.config.keys, logger);
  // The same for the dev CA: generated once, before the workers, so they all sign with it.
  await CertificateAuthority.fromConfig(plan.config.ca, trustDomainOf(plan.config.issuer ?? `http://${plan.host}`, plan.config.trustDomain), logger);
  await runWorkers({
    workers: plan.workers,
    logger,
    start: async () => {
      const server = createAuthServer(plan.config, {
        logger,
        ...(plan.redisUrl === undefined ? {} : { redisUrl: plan.redisUrl }),
        ...(plan.eventsRedisUrl === undefined ? {} : { eventsRedisUrl: plan.eventsRedisUrl }),
      });
      await server.listen(plan.port, plan.host);
      return () => server.close();
    },
  });
}
