/**
 * PEM certificates in text: a trust bundle, a certificate chain.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";

const BEGIN_CERTIFICATE = "-----BEGIN CERTIFICATE-----";
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of `text`, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/**
 * Whether `text` holds at least one PEM certificate and every certificate begun in it is whole and parses: a bundle
 * caught mid-write, or cut off in transit, is not one.
 */
export function holdsWholeCertificates(text: string): boolean {
  const blocks = pemCertificates(text);
  if (blocks.length === 0 || blocks.length !== text.split(BEGIN_CERTIFICATE).length - 1) return false;
  try {
    for (const block of blocks) new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
