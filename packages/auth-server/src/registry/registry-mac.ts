import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "@gatehouse/service-kit";
import type { AuthServerConfig } from "../config/schema.js";
import { AuthServerError } from "../errors.js";

/** Name of the dev registry MAC key file inside `keys.dir`. */
export const DEV_REGISTRY_MAC_FILE = "registry-mac.key";

/** Shortest accepted registry MAC key, in characters (32 random bytes base64url-encode to 43). */
export const MIN_REGISTRY_MAC_KEY_LENGTH = 32;

/** The form a registry entry is stored in: its JSON and the MAC over it. */
interface SealedEntry {
  readonly v: 1;
  readonly entry: string;
  readonly mac: string;
}

/**
 * Tamper evidence for the registry in Redis: every entry the auth server writes carries an
 * HMAC-SHA256 over its service id and JSON, keyed by a secret Redis never sees (`keys.registryMacKeyFile`,
 * or a dev key generated once under `keys.dir`, or a per-process key with `generate: memory`).
 * An entry someone else wrote into Redis (another Redis user, a raw writer, a restored dump with
 * another key) has no valid MAC and is refused: never turned into a client, so never used to
 * issue a token. Every replica must share the key file.
 */
export class RegistryMac {
  readonly #key: Buffer;
  /** A short fingerprint of the key (not the key), so a key change re-seeds the config's entries. */
  readonly keyId: string;

  private constructor(key: Buffer) {
    this.#key = key;
    this.keyId = createHash("sha256").update(key).digest("base64url").slice(0, 12);
  }

  /** Loads or creates the key the config names; throws `invalid_config` naming the file. */
  static fromConfig(config: AuthServerConfig["keys"], logger: Logger): RegistryMac {
    if (config.registryMacKeyFile !== undefined) return new RegistryMac(readMacKey(config.registryMacKeyFile));
    if (config.generate === "memory") return new RegistryMac(randomBytes(32));
    const file = resolve(join(config.dir, DEV_REGISTRY_MAC_FILE));
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
      logger.warn({ file }, "generated a development registry MAC key; use keys.registryMacKeyFile with a managed secret in production");
    }
    return new RegistryMac(readMacKey(file));
  }

  /** The stored form of a registry entry: its JSON with a MAC bound to its id. */
  seal(id: string, json: string): string {
    const sealed: SealedEntry = { v: 1, entry: json, mac: this.#mac(id, json) };
    return JSON.stringify(sealed);
  }

  /** The entry's JSON when its MAC is valid for this id; undefined for anything else. */
  open(id: string, stored: string): string | undefined {
    let sealed: unknown;
    try {
      sealed = JSON.parse(stored);
    } catch {
      return undefined;
    }
    if (typeof sealed !== "object" || sealed === null) return undefined;
    const { v, entry, mac } = sealed as Partial<Record<keyof SealedEntry, unknown>>;
    if (v !== 1 || typeof entry !== "string" || typeof mac !== "string") return undefined;
    const want = Buffer.from(this.#mac(id, entry), "base64url");
    const given = Buffer.from(mac, "base64url");
    return given.length === want.length && timingSafeEqual(given, want) ? entry : undefined;
  }

  #mac(id: string, json: string): string {
    return createHmac("sha256", this.#key).update(`gatehouse-registry-v1\0${id}\0${json}`).digest("base64url");
  }
}

function readMacKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new AuthServerError("invalid_config", `keys.registryMacKeyFile: cannot read ${file}`, { cause: error });
  }
  if (text.length < MIN_REGISTRY_MAC_KEY_LENGTH) {
    throw new AuthServerError("invalid_config", `keys.registryMacKeyFile: ${file} must hold at least ${MIN_REGISTRY_MAC_KEY_LENGTH} characters of random secret`);
  }
  return Buffer.from(text, "utf8");
}
