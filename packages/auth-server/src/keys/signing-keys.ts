import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger } from "@gatehouse/service-kit";
import { AuthServerError } from "../errors.js";
import type { AuthServerConfig } from "../config/schema.js";
import {
  generateSigningKey,
  nextKeyChange,
  publishedKeys,
  readKeyFile,
  signingKey,
  toPrivateJwk,
  writeKeyFile,
  type PrivateJwk,
  type StoredKey,
} from "./key-file.js";

/** Name of the dev key file inside `keys.dir`. */
export const DEV_KEY_FILE = "signing-keys.json";

/**
 * The server's signing keys: from `keys.file`, or dev keys generated once and persisted under
 * `keys.dir` (`.gatehouse/`), or generated in memory. A file is re-read when it changes, so a
 * `gatehouse-auth keys rotate` reaches a running server without a restart.
 */
export class SigningKeys {
  readonly source: "file" | "dev" | "memory";
  readonly file: string | undefined;
  #keys: StoredKey[];
  #mtimeMs = 0;

  private constructor(source: "file" | "dev" | "memory", file: string | undefined, keys: StoredKey[]) {
    this.source = source;
    this.file = file;
    this.#keys = keys;
    if (file !== undefined) this.#mtimeMs = statSync(file).mtimeMs;
    this.signingKid();
  }

  /** Loads or creates the keys the config names; throws `invalid_key_file` naming the file. */
  static fromConfig(config: AuthServerConfig["keys"], logger: Logger): SigningKeys {
    if (config.file !== undefined) return new SigningKeys("file", config.file, readKeyFile(config.file).keys);
    if (config.generate === "memory") return new SigningKeys("memory", undefined, [generateSigningKey(new Date())]);
    const file = resolve(join(config.dir, DEV_KEY_FILE));
    if (!existsSync(file)) {
      writeKeyFile(file, { keys: [generateSigningKey(new Date())] });
      logger.warn({ file }, "generated development signing keys; use keys.file with managed keys in production");
    }
    return new SigningKeys("dev", file, readKeyFile(file).keys);
  }

  /** All keys as loaded, in file order. */
  get keys(): readonly StoredKey[] {
    return this.#keys;
  }

  /** The `kid` that signs now. */
  signingKid(now = Date.now()): string {
    const key = signingKey(this.#keys, now);
    if (key === undefined) {
      throw new AuthServerError("invalid_key_file", `${this.file ?? "signing keys"}: no key is active now (every key is retired or not yet due)`);
    }
    return key.kid;
  }

  /** The private JWKs the provider holds: every key not yet retired (published ones verify). */
  published(now = Date.now()): PrivateJwk[] {
    return publishedKeys(this.#keys, now).map(toPrivateJwk);
  }

  /** When the published set or signer next changes by the clock alone. */
  nextChange(now = Date.now()): number | undefined {
    return nextKeyChange(this.#keys, now);
  }

  /** Re-reads the file if it changed; true when new keys were loaded. A bad file keeps the old keys. */
  reload(logger: Logger): boolean {
    if (this.file === undefined) return false;
    try {
      const mtimeMs = statSync(this.file).mtimeMs;
      if (mtimeMs === this.#mtimeMs) return false;
      this.#mtimeMs = mtimeMs;
      const keys = readKeyFile(this.file).keys;
      if (signingKey(keys, Date.now()) === undefined) throw new AuthServerError("invalid_key_file", `${this.file}: no key is active now`);
      this.#keys = keys;
      logger.info({ file: this.file, kids: keys.map((k) => k.kid) }, "signing keys reloaded");
      return true;
    } catch (error) {
      logger.error({ file: this.file, err: error }, "signing key file could not be reloaded; keeping the current keys");
      return false;
    }
  }
}
