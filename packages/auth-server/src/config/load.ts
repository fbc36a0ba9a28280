import { dirname, isAbsolute, resolve } from "node:path";
import { deepFreeze, loadConfigFile, validateConfig } from "@gatehouse/service-kit";
import { authServerConfigSchema, type AuthServerConfig } from "./schema.js";

/**
 * Reads and validates an auth server config file (YAML or JSON). Unknown keys, wrong types and
 * inconsistent references (an `allow` naming an unknown service or a scope the target does not
 * expose) fail with a `ConfigError` naming the file and the dotted path. Relative `jwksFile`,
 * `secretFile`, `keys.file` and `ca.*File` paths are resolved against the file's directory. It does not read
 * secrets or key files: `createAuthServer` does, and names the variable or file that is missing.
 */
export function loadAuthServerConfig(file: string): AuthServerConfig {
  return resolvePaths(loadConfigFile(file, authServerConfigSchema), dirname(resolve(file)));
}

/**
 * Validates an already parsed config value (tests, embedding). `source` names it in error messages;
 * relative paths are resolved against `baseDir` (default: the working directory).
 */
export function parseAuthServerConfig(value: unknown, source = "config", baseDir = process.cwd()): AuthServerConfig {
  return resolvePaths(validateConfig(source, value, authServerConfigSchema), baseDir);
}

function resolvePaths(config: AuthServerConfig, baseDir: string): AuthServerConfig {
  const at = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const copy: AuthServerConfig = structuredClone(config);
  const mutable: { -readonly [K in keyof AuthServerConfig]: AuthServerConfig[K] } = copy;
  if (copy.keys.file !== undefined) mutable.keys = { ...copy.keys, file: at(copy.keys.file) };
  const ca = copy.ca;
  mutable.ca = {
    ...ca,
    ...(ca.file === undefined ? {} : { file: at(ca.file) }),
    ...(ca.certFile === undefined ? {} : { certFile: at(ca.certFile) }),
    ...(ca.keyFile === undefined ? {} : { keyFile: at(ca.keyFile) }),
  };
  for (const service of Object.values(copy.services)) {
    const auth = service.auth as Record<string, unknown>;
    if (typeof auth["jwksFile"] === "string") auth["jwksFile"] = at(auth["jwksFile"]);
    if (typeof auth["secretFile"] === "string") auth["secretFile"] = at(auth["secretFile"]);
  }
  return deepFreeze(copy);
}
