/**
 * SPIFFE IDs in certificates: a Gatehouse service's identity in TLS is `spiffe://<trust domain>/<service id>`, the
 * certificate's URI SAN.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";

/** The URI SANs of a certificate (PEM, DER or parsed). */
export function uriSans(certificate: X509Certificate | string | Buffer): string[] {
  const parsed = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  const names = parsed.subjectAltName;
  if (names === undefined) return [];
  // Node renders SANs as `URI:spiffe://a/b, DNS:x`; a URI never needs the quoting Node applies to odd values.
  return names
    .split(", ")
    .filter((name) => name.startsWith("URI:"))
    .map((name) => name.slice(4));
}

/** The certificate's SPIFFE ID: its one `spiffe://` URI SAN, or undefined. */
export function spiffeIdOf(certificate: X509Certificate | string | Buffer): string | undefined {
  const ids = uriSans(certificate).filter((uri) => uri.startsWith("spiffe://"));
  return ids.length === 1 ? ids[0] : undefined;
}

/** `{ trustDomain, path }` of a SPIFFE ID, or undefined when it is not one. */
export function parseSpiffeId(id: string): { trustDomain: string; path: string } | undefined {
  const match = /^spiffe:\/\/([a-z0-9._-]+)(\/[A-Za-z0-9._/-]*)$/.exec(id);
  if (match === null) return undefined;
  return { trustDomain: match[1] ?? "", path: match[2] ?? "" };
}
