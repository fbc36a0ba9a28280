/**
 * The one rule for certificate-bound tokens (RFC 8705 §3) and transport identities, used by the gateway and by
 * backends alike: a token with `cnf.x5t#S256` is accepted only on a connection whose client certificate has that
 * thumbprint, and a client certificate's SPIFFE ID must name the token's caller.
 *
 * @module
 */
import type { X509Certificate } from "node:crypto";
import { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { parseSpiffeId, spiffeIdOf } from "./spiffe.js";

/** What {@link checkTransportBinding} decided: `ok`, or why the token may not be used on this connection. */
export type BindingResult = { readonly ok: true; readonly bound: boolean } | { readonly ok: false; readonly description: string };

/** The RFC 8705 §3.1 thumbprint of a certificate: base64url of the SHA-256 of its DER. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return Buffer.from(certificate.fingerprint256.replaceAll(":", ""), "hex").toString("base64url");
}

/** The client certificate of a TLS connection, or undefined (plain TCP, or no certificate sent). */
export function peerCertificateOf(socket: Socket): X509Certificate | undefined {
  return socket instanceof TLSSocket ? socket.getPeerX509Certificate() : undefined;
}

/**
 * Checks a verified token's claims against the connection's client certificate:
 *
 * - `cnf.x5t#S256` present: a client certificate must be on the connection and have that thumbprint (else refused:
 *   a captured bound token is useless without the holder's key).
 * - a client certificate carrying a SPIFFE ID: its path must be `/<sub>` (a service cannot present its certificate
 *   with another service's token).
 * - `requireBound`: a token without `cnf.x5t#S256` is refused.
 *
 * It does not verify the certificate chain (the TLS server does, against the trust bundle) nor the token.
 */
export function checkTransportBinding(
  claims: { readonly sub?: unknown; readonly cnf?: unknown },
  certificate: X509Certificate | undefined,
  requireBound = false,
): BindingResult {
  const cnf = claims.cnf;
  const thumbprint = typeof cnf === "object" && cnf !== null ? (cnf as Record<string, unknown>)["x5t#S256"] : undefined;
  if (cnf !== undefined && typeof thumbprint !== "string") {
    return { ok: false, description: "the token's cnf claim has no x5t#S256 certificate thumbprint" };
  }
  if (thumbprint === undefined && requireBound) {
    return { ok: false, description: "this route accepts certificate-bound tokens only; ask for the token over mutual TLS" };
  }
  if (thumbprint !== undefined) {
    if (certificate === undefined) return { ok: false, description: "the token is certificate-bound; present its client certificate" };
    if (certificateThumbprint(certificate) !== thumbprint) return { ok: false, description: "the token is bound to another client certificate" };
  }
  if (certificate !== undefined) {
    const spiffeId = spiffeIdOf(certificate);
    const path = spiffeId === undefined ? undefined : parseSpiffeId(spiffeId)?.path;
    if (path !== undefined && typeof claims.sub === "string" && path !== `/${claims.sub}`) {
      return { ok: false, description: `the client certificate (${spiffeId ?? ""}) is not the token's service's` };
    }
  }
  return { ok: true, bound: thumbprint !== undefined };
}
