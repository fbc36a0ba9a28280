import { existsSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { generateAuthority, readCaFile, rotateAuthorities, signingAuthority, writeCaFile, type StoredAuthority } from "../ca/ca-file.js";
import type { AuthServerConfig } from "../config/schema.js";
import { UsageError, type CommandOutput } from "./usage.js";

/** Default seconds between publishing a new CA and signing with it (peers re-read the trust bundle meanwhile). */
export const DEFAULT_CA_ROTATION_DELAY_SECONDS = 300;

/** How long an old CA must stay in the trust bundle after it stopped signing: the certificate lifetime plus a minute of skew. */
export function longestCertificateLifetime(config: AuthServerConfig): number {
  return config.certificates.ttlSeconds + 60;
}

/** `ca generate --file F --trust-domain D [--force]`: a new CA file with one authority that signs at once. */
export async function caGenerate(file: string, trustDomain: string, force: boolean, out: CommandOutput): Promise<void> {
  if (existsSync(file) && !force) throw new UsageError(`${file} exists; use ca rotate, or --force to replace every authority`);
  const authority = await generateAuthority(trustDomain, new Date());
  writeCaFile(file, { authorities: [authority] });
  out.stdout(JSON.stringify({ file, authorities: [schedule(authority)] }));
}

/**
 * `ca rotate --file F --trust-domain D [--delay S] [--retire-after S]`: publishes a new CA in the
 * trust bundle now, makes it the signer after the delay, and retires every older CA once the
 * last certificate it signed has expired. A running server re-reads the file.
 */
export async function caRotate(file: string, trustDomain: string, delaySeconds: number, retireAfterSeconds: number, out: CommandOutput, now = new Date()): Promise<void> {
  const current = readCaFile(file);
  const authorities = await rotateAuthorities(current.authorities, trustDomain, now, { delaySeconds, retireAfterSeconds });
  writeCaFile(file, { authorities });
  const signer = signingAuthority(authorities, now.getTime());
  out.stdout(JSON.stringify({ file, signing: signer === undefined ? undefined : new X509Certificate(signer.certificate).subject, authorities: authorities.map(schedule) }));
}

function schedule(authority: StoredAuthority): Record<string, string | undefined> {
  const certificate = new X509Certificate(authority.certificate);
  return { subject: certificate.subject, notAfter: new Date(certificate.validTo).toISOString(), signFrom: authority.signFrom, retireAt: authority.retireAt };
}
