import { loadConfigFile, validateConfig } from "@gatehouse/service-kit";
import { consoleConfigSchema, type ConsoleConfig } from "./schema.js";

/**
 * Reads and validates a console config file (YAML or JSON); `GATEHOUSE_ISSUER` overrides
 * `authServer.issuer`. Throws service-kit's `ConfigError` (code `invalid_config`) naming the file
 * and the dotted path of every problem.
 */
export function loadConsoleConfig(file: string, env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  return applyEnv(file, loadConfigFile(file, consoleConfigSchema), env);
}

/** Validates an already parsed config value (tests, embedding); `source` names it in errors. */
export function parseConsoleConfig(value: unknown, source = "console config", env?: NodeJS.ProcessEnv): ConsoleConfig {
  const config = validateConfig(source, value, consoleConfigSchema);
  return env === undefined ? config : applyEnv(source, config, env);
}

function applyEnv(source: string, config: ConsoleConfig, env: NodeJS.ProcessEnv): ConsoleConfig {
  const issuer = env["GATEHOUSE_ISSUER"]?.trim();
  if (issuer === undefined || issuer === "") return config;
  return validateConfig(`${source} (with GATEHOUSE_ISSUER)`, { ...config, authServer: { ...config.authServer, issuer } }, consoleConfigSchema);
}
