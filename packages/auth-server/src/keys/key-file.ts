import { createHash, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { AuthServerError } from "../errors.js";

const isoDate = z.iso.datetime({ offset: true });

/**
 * One signing key as stored in the private JWKS file: an ES256 private JWK (RFC 7517) plus the
 * rotation schedule `gatehouse-auth keys rotate` writes. `signFrom` absent = signs at once;
 * `retireAt` absent = published until a rotation retires it.
 */
export const storedKeySchema = z.looseObject({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1, "a private key is required"),
  kid: z.string().min(1),
  alg: z.literal("ES256").default("ES256"),
  use: z.literal("sig").default("sig"),
  createdAt: isoDate.optional(),
  signFrom: isoDate.optional(),
  retireAt: isoDate.optional(),
});

/** The private JWKS file: the first active key signs, every published key verifies. */
export const keyFileSchema = z.looseObject({ keys: z.array(storedKeySchema).min(1, "must hold at least one key") });

/** One validated key of the key file. */
export type StoredKey = z.output<typeof storedKeySchema>;
/** A validated key file. */
export interface KeyFile {
  keys: StoredKey[];
}

/** The standard members of a private EC JWK, as handed to oidc-provider. */
export interface PrivateJwk {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  d: string;
  kid: string;
  alg: "ES256";
  use: "sig";
}

/** Generates a fresh ES256 key whose `kid` is its RFC 7638 thumbprint. */
export function generateSigningKey(now: Date, signFrom?: Date): StoredKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" }) as { x: string; y: string; d: string };
  const key: StoredKey = {
    kty: "EC",
    crv: "P-256",
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
    kid: thumbprint(jwk.x, jwk.y),
    alg: "ES256",
    use: "sig",
    createdAt: now.toISOString(),
  };
  if (signFrom !== undefined) key.signFrom = signFrom.toISOString();
  return key;
}

/**
 * The RFC 7638 SHA-256 thumbprint of a P-256 public key: the required members `crv`, `kty`, `x`,
 * `y` in lexicographic order, without white space, hashed.
 *
 * Not jose's `calculateJwkThumbprint`: it returns a Promise (WebCrypto digest), and keys are
 * generated inside the synchronous composition root (`createAuthServer` → `SigningKeys.fromConfig`),
 * which every embedder calls synchronously. `test/key-rotation.test.ts` checks that this equals
 * jose's `calculateJwkThumbprint` for generated keys.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
function thumbprint(x: string, y: string): string {
  return createHash("sha256").update(JSON.stringify({ crv: "P-256", kty: "EC", x, y })).digest("base64url");
}

const at = (iso: string | undefined, fallback: number) => (iso === undefined ? fallback : Date.parse(iso));

/** Keys still published at `now` (not retired), in file order. */
export function publishedKeys(keys: readonly StoredKey[], now: number): StoredKey[] {
  return keys.filter((key) => at(key.retireAt, Infinity) > now);
}

/** The key that signs at `now`: the first published key whose `signFrom` has passed. */
export function signingKey(keys: readonly StoredKey[], now: number): StoredKey | undefined {
  return publishedKeys(keys, now).find((key) => at(key.signFrom, -Infinity) <= now);
}

/** The next instant after `now` at which the signer or the published set changes. */
export function nextKeyChange(keys: readonly StoredKey[], now: number): number | undefined {
  const times = keys.flatMap((key) => [at(key.signFrom, -Infinity), at(key.retireAt, Infinity)]).filter((t) => t > now && Number.isFinite(t));
  return times.length === 0 ? undefined : Math.min(...times);
}

/** Strips the schedule members: what oidc-provider's keystore receives. */
export function toPrivateJwk(key: StoredKey): PrivateJwk {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, d: key.d, kid: key.kid, alg: key.alg, use: key.use };
}

/** When a rotation switches signers and retires the old keys. */
export interface RotateOptions {
  /** Seconds between publishing the new key and signing with it (verifiers fetch it meanwhile). */
  readonly delaySeconds: number;
  /** Seconds the old keys stay published after the new key starts signing: the longest token TTL plus skew. */
  readonly retireAfterSeconds: number;
}

/**
 * Rotation: the new key is published first (at the front, `signFrom` = now + delay), every older
 * key gets `retireAt` = that moment + the longest token lifetime, and keys already retired are
 * dropped. Tokens signed before, during and after the switch stay verifiable throughout.
 */
export function rotateKeys(keys: readonly StoredKey[], now: Date, options: RotateOptions): StoredKey[] {
  const switchAt = now.getTime() + options.delaySeconds * 1000;
  const retireAt = new Date(switchAt + options.retireAfterSeconds * 1000).toISOString();
  const kept = publishedKeys(keys, now.getTime()).map((key) =>
    key.retireAt === undefined || Date.parse(key.retireAt) > Date.parse(retireAt) ? { ...key, retireAt } : key,
  );
  return [generateSigningKey(now, new Date(switchAt)), ...kept];
}

/** Reads and validates a key file; errors name the file and the dotted path. */
export function readKeyFile(file: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file cannot be read";
    throw new AuthServerError("invalid_key_file", `${file}: ${reason}`, { cause: error });
  }
  return parseKeyFile(file, text);
}

/** Validates key file text; `source` names it in errors. */
export function parseKeyFile(source: string, text: string): KeyFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuthServerError("invalid_key_file", `${source}: not valid JSON`);
  }
  const result = keyFileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    throw new AuthServerError("invalid_key_file", `${source}: ${path === "" ? "" : `${path}: `}${issue?.message ?? "invalid"}`);
  }
  const kids = new Set<string>();
  for (const [index, key] of result.data.keys.entries()) {
    if (kids.has(key.kid)) throw new AuthServerError("invalid_key_file", `${source}: keys.${index}.kid: duplicate kid "${key.kid}"`);
    kids.add(key.kid);
  }
  return { keys: result.data.keys };
}

/** Writes a key file atomically (temporary file + rename), readable by its owner only. */
export function writeKeyFile(file: string, keyFile: KeyFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
