import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { pemCertificates } from "@gatehouse/sdk";
import { AuthServerError } from "../errors.js";
import { x509 } from "./x509.js";

const isoDate = z.iso.datetime({ offset: true });

/**
 * One certificate authority as stored in the CA file: its certificate and PKCS#8 private key (PEM)
 * and the rotation schedule `gatehouse-auth ca rotate` writes. `signFrom` absent = signs at once;
 * `retireAt` absent = published until a rotation retires it.
 */
export const storedAuthoritySchema = z.strictObject({
  certificate: z.string().includes("-----BEGIN CERTIFICATE-----", { error: "must be a PEM certificate" }),
  privateKey: z.string().includes("-----BEGIN PRIVATE KEY-----", { error: "must be a PEM PKCS#8 private key" }),
  signFrom: isoDate.optional(),
  retireAt: isoDate.optional(),
});

/** The CA file: the first authority whose `signFrom` passed signs; every one not retired is in the trust bundle. */
export const caFileSchema = z.strictObject({ authorities: z.array(storedAuthoritySchema).min(1, "must hold at least one authority") });

/** One validated authority of the CA file. */
export type StoredAuthority = z.output<typeof storedAuthoritySchema>;
/** A validated CA file. */
export interface CaFile {
  authorities: StoredAuthority[];
}

/** Validity of a generated CA certificate. */
export const GENERATED_CA_DAYS = 365;

/**
 * Generates a self-signed ECDSA P-256 root for issuing service certificates: CA, path length 0,
 * key usage `keyCertSign` and `cRLSign` only. The subject names the trust domain and carries a
 * random suffix, so a rotated CA never shares a name with the one it replaces.
 */
export async function generateAuthority(trustDomain: string, now: Date, signFrom?: Date): Promise<StoredAuthority> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const signingKey = privateKey.toCryptoKey(algorithm, true, ["sign"]);
  const publicKey = createPublicKey(privateKey).toCryptoKey(algorithm, true, ["verify"]);
  const name = `O=Gatehouse, CN=Gatehouse CA ${trustDomain} ${randomBytes(4).toString("hex")}`;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + GENERATED_CA_DAYS * 86_400_000),
    signingAlgorithm: algorithm,
    keys: { privateKey: signingKey, publicKey },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  const stored: StoredAuthority = {
    certificate: certificate.toString("pem"),
    privateKey: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
  if (signFrom !== undefined) stored.signFrom = signFrom.toISOString();
  return stored;
}

/** A random positive 128-bit serial number (hex), as RFC 5280 §4.1.2.2 asks of a CA. */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

const at = (iso: string | undefined, fallback: number) => (iso === undefined ? fallback : Date.parse(iso));

/** Authorities still in the trust bundle at `now` (not retired), in file order. */
export function publishedAuthorities(authorities: readonly StoredAuthority[], now: number): StoredAuthority[] {
  return authorities.filter((authority) => at(authority.retireAt, Infinity) > now);
}

/** The authority that signs at `now`: the first published one whose `signFrom` passed. */
export function signingAuthority(authorities: readonly StoredAuthority[], now: number): StoredAuthority | undefined {
  return publishedAuthorities(authorities, now).find((authority) => at(authority.signFrom, -Infinity) <= now);
}

/** When a CA rotation switches signers and retires the old authorities. */
export interface CaRotateOptions {
  /** Seconds between publishing the new CA and signing with it (peers fetch the bundle meanwhile). */
  readonly delaySeconds: number;
  /** Seconds the old CAs stay published after the switch: the certificate lifetime plus skew. */
  readonly retireAfterSeconds: number;
}

/**
 * CA rotation, the same schedule as signing-key rotation: the new CA is published first (at the
 * front, `signFrom` = now + delay), every older one gets `retireAt` = that moment + the longest
 * certificate lifetime (its last certificate has expired by then), retired ones are dropped.
 */
export async function rotateAuthorities(
  authorities: readonly StoredAuthority[],
  trustDomain: string,
  now: Date,
  options: CaRotateOptions,
): Promise<StoredAuthority[]> {
  const switchAt = now.getTime() + options.delaySeconds * 1000;
  const retireAt = new Date(switchAt + options.retireAfterSeconds * 1000).toISOString();
  const kept = publishedAuthorities(authorities, now.getTime()).map((authority) =>
    authority.retireAt === undefined || Date.parse(authority.retireAt) > Date.parse(retireAt) ? { ...authority, retireAt } : authority,
  );
  return [await generateAuthority(trustDomain, now, new Date(switchAt)), ...kept];
}

/** Reads and validates a CA file; errors name the file and the dotted path. */
export function readCaFile(file: string): CaFile {
  const value = parseJson(file, readText(file));
  const result = caFileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    throw new AuthServerError("invalid_ca_file", `${file}: ${path === "" ? "" : `${path}: `}${issue?.message ?? "invalid"}`);
  }
  result.data.authorities.forEach((authority, index) => checkAuthority(`${file}: authorities.${index}`, authority.certificate, authority.privateKey));
  return { authorities: result.data.authorities };
}

/**
 * An operator's CA or intermediate from PEM files: `certFile` holds the CA certificate first, then
 * the chain above it (the root last); `keyFile` its private key. Checked: the first certificate
 * is a CA that may sign certificates, and the key is its key.
 */
export function readOperatorAuthority(certFile: string, keyFile: string): { authority: StoredAuthority; chain: string[] } {
  const certificates = splitPem(readText(certFile));
  const [first, ...chain] = certificates;
  if (first === undefined) throw new AuthServerError("invalid_ca_file", `${certFile}: no PEM certificate in the file`);
  const privateKey = readText(keyFile);
  checkAuthority(`${certFile} with ${keyFile}`, first, privateKey);
  let pkcs8: string;
  try {
    pkcs8 = createPrivateKey(privateKey).export({ format: "pem", type: "pkcs8" }).toString();
  } catch (error) {
    throw new AuthServerError("invalid_ca_file", `${keyFile}: not a PEM private key`, { cause: error });
  }
  return { authority: { certificate: first, privateKey: pkcs8 }, chain };
}

/** The PEM certificates in a text, in order, each ending in a newline. */
export function splitPem(text: string): string[] {
  return pemCertificates(text).map((pem) => `${pem}\n`);
}

function checkAuthority(source: string, certificatePem: string, privateKeyPem: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (error) {
    throw new AuthServerError("invalid_ca_file", `${source}: the certificate cannot be parsed`, { cause: error });
  }
  if (!certificate.ca) throw new AuthServerError("invalid_ca_file", `${source}: the certificate is not a CA certificate (basicConstraints cA is false)`);
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(privateKeyPem));
  } catch (error) {
    throw new AuthServerError("invalid_ca_file", `${source}: the private key cannot be parsed`, { cause: error });
  }
  if (!matches) throw new AuthServerError("invalid_ca_file", `${source}: the private key is not the certificate's key`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file cannot be read";
    throw new AuthServerError("invalid_ca_file", `${file}: ${reason}`, { cause: error });
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AuthServerError("invalid_ca_file", `${file}: not valid JSON`);
  }
}

/** Writes a CA file atomically (temporary file + rename), readable by its owner only. */
export function writeCaFile(file: string, caFile: CaFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(caFile, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}
