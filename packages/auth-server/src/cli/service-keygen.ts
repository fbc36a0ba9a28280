import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { serviceIdSchema } from "../config/schema.js";
import { UsageError, type CommandOutput } from "./usage.js";

/**
 * `service keygen ID [--out DIR]`: an ES256 key pair for a service's `private_key_jwt`. The private
 * JWK goes to `ID.private.jwk.json` (mode 0600, for the service's SDK token source); the public
 * JWKS goes to `ID.jwks.json` and to stdout, for the registry (`auth.jwks` or `auth.jwksFile`).
 * Existing files are never overwritten.
 */
export function serviceKeygen(id: string, outDir: string, out: CommandOutput, now = new Date()): void {
  if (!serviceIdSchema.safeParse(id).success) throw new UsageError(`service id ${JSON.stringify(id)} must be a DNS label (a-z, 0-9, -)`);
  const dir = resolve(outDir);
  const privateFile = join(dir, `${id}.private.jwk.json`);
  const publicFile = join(dir, `${id}.jwks.json`);
  for (const file of [privateFile, publicFile]) if (existsSync(file)) throw new UsageError(`${file} exists; remove it first`);
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `${id}-${now.toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`;
  const meta = { kid, alg: "ES256", use: "sig" };
  const publicJwks = { keys: [{ ...(publicKey.export({ format: "jwk" }) as object), ...meta }] };
  mkdirSync(dir, { recursive: true });
  writeFileSync(privateFile, `${JSON.stringify({ ...(privateKey.export({ format: "jwk" }) as object), ...meta }, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(publicFile, `${JSON.stringify(publicJwks, null, 2)}\n`, { mode: 0o644 });
  out.stderr(`wrote ${privateFile} (private: keep it with the service) and ${publicFile} (public: register it)`);
  out.stdout(JSON.stringify(publicJwks));
}
