import { loadConfigFile, validateConfig } from "@gatehouse/service-kit";
import { gatewayConfigSchema, type GatewayConfig } from "./schema.js";

/** Environment variables that override addresses in the file (flags and variables beat the file). */
export const CONFIG_ENV_OVERRIDES = { GATEHOUSE_ISSUER: "issuer", GATEHOUSE_JWKS_URI: "jwksUri" } as const;

/**
 * Reads and validates a gateway config file (YAML or JSON) once, then applies the environment
 * overrides of {@link CONFIG_ENV_OVERRIDES} and validates again. Throws service-kit's
 * `ConfigError` (code `invalid_config`) naming the file and the dotted path of every problem.
 * Secrets never sit in this file: Redis comes from `REDIS_URL`, never from here.
 */
export function loadGatewayConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return applyEnv(file, loadConfigFile(file, gatewayConfigSchema), env);
}

/**
 * Validates an already parsed config value (tests, embedding). `source` names it in errors.
 * Environment overrides apply only when `env` is given.
 */
export function parseGatewayConfig(value: unknown, source = "gateway config", env?: NodeJS.ProcessEnv): GatewayConfig {
  const config = validateConfig(source, value, gatewayConfigSchema);
  return env === undefined ? config : applyEnv(source, config, env);
}

function applyEnv(source: string, config: GatewayConfig, env: NodeJS.ProcessEnv): GatewayConfig {
  const overrides: Record<string, string> = {};
  const names: string[] = [];
  for (const [name, key] of Object.entries(CONFIG_ENV_OVERRIDES)) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") {
      overrides[key] = value;
      names.push(name);
    }
  }
  if (names.length === 0) return config;
  return validateConfig(`${source} (with ${names.join(", ")})`, { ...config, ...overrides }, gatewayConfigSchema);
}
