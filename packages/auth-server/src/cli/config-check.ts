import { loadAuthServerConfig } from "../config/load.js";
import { readKeyFile, signingKey } from "../keys/key-file.js";
import { ClientCredentials } from "../registry/client-metadata.js";
import type { CommandOutput } from "./usage.js";

/**
 * `config check FILE`: everything `serve` checks before it listens, without listening: the schema
 * and cross references, every enabled service's secret variable or file and JWKS file, and the key
 * file when one is named. Prints a summary; throws the first problem (exit 78 for a config, secret or key problem, else 1).
 */
export function configCheck(file: string, env: NodeJS.ProcessEnv, out: CommandOutput): void {
  const config = loadAuthServerConfig(file);
  const credentials = new ClientCredentials(env);
  const services = Object.entries(config.services);
  for (const [id, definition] of services) if (!definition.disabled) credentials.check({ id, ...definition });
  let keys = config.keys.generate === "memory" ? "generated in memory at start" : `dev keys under ${config.keys.dir}`;
  if (config.keys.file !== undefined) {
    const keyFile = readKeyFile(config.keys.file);
    const signer = signingKey(keyFile.keys, Date.now());
    if (signer === undefined) throw new Error(`${config.keys.file}: no key is active now`);
    keys = `${config.keys.file} (${keyFile.keys.length} keys, signing with ${signer.kid})`;
  }
  out.stdout(
    JSON.stringify({
      ok: true,
      file,
      services: services.length,
      disabled: services.filter(([, s]) => s.disabled).map(([id]) => id),
      keys,
    }),
  );
}
