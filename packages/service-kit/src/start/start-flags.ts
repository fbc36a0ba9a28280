import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { formatRedisUrl, redisTargetFromEnv } from "../redis/redis-url.js";
import { StartFlagError } from "./start-flag-error.js";

export { StartFlagError };

/** What every Gatehouse service reads from its command line and environment. */
export interface StartFlags {
  /** `--config FILE`: the service's config file. */
  readonly config: string | undefined;
  /** `--port` / `PORT`. */
  readonly port: number | undefined;
  /** `--host` / `HOST`: the interface to listen on (the service's default, loopback, when absent). */
  readonly host: string | undefined;
  /** `--admin-port` / `ADMIN_PORT` (services that have an admin listener). */
  readonly adminPort: number | undefined;
  /** `--workers N|auto` / `WORKERS`: processes sharing the port through `node:cluster`. */
  readonly workers: number | undefined;
  /**
   * `REDIS_URL` (one server or `redis+sentinel://`), with the user from `REDIS_USERNAME` and the
   * password from the file `REDIS_PASSWORD_FILE` names put into it (see `redisTargetFromEnv`);
   * `createRedisClient` takes it as it is.
   */
  readonly redisUrl: string | undefined;
  /** `--help` / `-h`: print the usage and exit 0. */
  readonly help: boolean;
  /** `--version`: print the version and exit 0. */
  readonly version: boolean;
}

export interface StartFlagSpec {
  /** Whether the service has an admin port (`--admin-port` is rejected otherwise). */
  readonly adminPort?: boolean;
  /** Extra boolean flags a command accepts, e.g. `{ help: "h" }`. */
  readonly booleans?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses the start flags strictly (an unknown or misspelled flag is an error, never ignored).
 * Flags beat environment variables; the service then lets both beat its config file.
 */
export function parseStartFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  spec: StartFlagSpec = {},
): StartFlags & { readonly booleans: ReadonlySet<string> } {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {
    config: { type: "string", short: "c" },
    port: { type: "string", short: "p" },
    host: { type: "string" },
    workers: { type: "string", short: "w" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  if (spec.adminPort === true) options["admin-port"] = { type: "string" };
  for (const [name, short] of Object.entries(spec.booleans ?? {})) {
    options[name] = short === undefined ? { type: "boolean" } : { type: "boolean", short };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new StartFlagError(error instanceof Error ? error.message : String(error));
  }
  const str = (name: string) => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const booleans = new Set(Object.keys(spec.booleans ?? {}).filter((name) => values[name] === true));
  return {
    config: str("config") ?? nonEmpty(env["GATEHOUSE_CONFIG"]),
    port: parsePort("--port", str("port")) ?? parsePort("PORT", nonEmpty(env["PORT"])),
    host: parseHost("--host", str("host")) ?? parseHost("HOST", nonEmpty(env["HOST"])),
    adminPort:
      spec.adminPort === true
        ? (parsePort("--admin-port", str("admin-port")) ?? parsePort("ADMIN_PORT", nonEmpty(env["ADMIN_PORT"])))
        : undefined,
    workers: parseWorkers("--workers", str("workers")) ?? parseWorkers("WORKERS", nonEmpty(env["WORKERS"])),
    redisUrl: redisUrlFromEnv(env),
    help: values["help"] === true,
    version: values["version"] === true,
    booleans,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** A TCP port 0–65535 (0 = any free port). */
export function parsePort(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new StartFlagError(`${name} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

/** An interface to listen on: an IP address (`0.0.0.0` = every IPv4 interface) or a host name. */
export function parseHost(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isIP(value) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(value)) {
    throw new StartFlagError(`${name} must be an IP address or a host name, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A worker count from 1 to 64, or `auto` (one per available core). */
export function parseWorkers(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === "auto") return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) {
    throw new StartFlagError(`${name} must be a number from 1 to 64 or "auto", got ${JSON.stringify(value)}`);
  }
  return n;
}

function redisUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const target = redisTargetFromEnv(env);
  return target === undefined ? undefined : formatRedisUrl(target);
}
