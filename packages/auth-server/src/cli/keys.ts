import { existsSync } from "node:fs";
import { generateSigningKey, readKeyFile, rotateKeys, signingKey, writeKeyFile, type StoredKey } from "../keys/key-file.js";
import type { AuthServerConfig } from "../config/schema.js";
import { UsageError, type CommandOutput } from "./usage.js";

/** Default seconds between publishing a new key and signing with it. */
export const DEFAULT_ROTATION_DELAY_SECONDS = 60;
/** Default seconds old keys stay published after the switch: the default token TTL plus clock skew. */
export const DEFAULT_RETIRE_AFTER_SECONDS = 305;

/**
 * The longest lifetime any token of this config can have, plus the clock tolerance: how long a
 * retired key must stay published after it stopped signing.
 */
export function longestTokenLifetime(config: AuthServerConfig): number {
  const ttls = Object.values(config.services).map((s) => s.tokenTtlSeconds ?? config.tokens.ttlSeconds);
  return Math.max(config.tokens.ttlSeconds, ...ttls) + config.tokens.clockToleranceSeconds;
}

/** `keys generate --file F [--force]`: a new private JWKS with one ES256 key that signs at once. */
export function keysGenerate(file: string, force: boolean, out: CommandOutput): void {
  if (existsSync(file) && !force) throw new UsageError(`${file} exists; use keys rotate, or --force to replace every key`);
  const key = generateSigningKey(new Date());
  writeKeyFile(file, { keys: [key] });
  out.stdout(JSON.stringify({ file, kid: key.kid }));
}

/**
 * `keys rotate --file F [--delay S] [--retire-after S]`: publishes a new key now, makes it the
 * signer after the delay, and schedules every older key's retirement for after the longest
 * token lifetime; retired keys are dropped. A running server re-reads the file.
 */
export function keysRotate(file: string, delaySeconds: number, retireAfterSeconds: number, out: CommandOutput, now = new Date()): void {
  const current = readKeyFile(file);
  const keys = rotateKeys(current.keys, now, { delaySeconds, retireAfterSeconds });
  writeKeyFile(file, { keys });
  out.stdout(JSON.stringify({ file, signing: signingKey(keys, now.getTime())?.kid, keys: keys.map(schedule) }));
}

function schedule(key: StoredKey): Record<string, string | undefined> {
  return { kid: key.kid, signFrom: key.signFrom, retireAt: key.retireAt };
}
