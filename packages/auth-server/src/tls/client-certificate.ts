import type { X509Certificate } from "node:crypto";
import { TLSSocket } from "node:tls";
import { peerCertificateOf, uriSans } from "@gatehouse/sdk";
import type { Context } from "koa";
import type { Configuration } from "oidc-provider";

/**
 * The certificate the client presented on this request's TLS connection (requested, optional),
 * whether or not it chains to the trust bundle; undefined on plain HTTP or without one.
 */
export function peerCertificate(ctx: Pick<Context, "req">): X509Certificate | undefined {
  return peerCertificateOf(ctx.req.socket);
}

/** True when the client's certificate chains to the trust bundle, is in its validity period and fits TLS client use. */
export function peerCertificateAuthorized(ctx: Pick<Context, "req">): boolean {
  const socket = ctx.req.socket;
  return socket instanceof TLSSocket && socket.authorized && socket.getPeerX509Certificate() !== undefined;
}

/**
 * oidc-provider's own mTLS feature (RFC 8705), fed from the TLS socket: `tls_client_auth` checks
 * that the certificate is authorized by the TLS stack (chains to the trust bundle, not expired)
 * and that its URI SAN is the client's registered `tls_client_auth_san_uri` (its SPIFFE ID);
 * tokens issued to a client with `tls_client_certificate_bound_access_tokens` carry
 * `cnf.x5t#S256` of the certificate. Only the URI SAN is ever matched.
 */
export function mtlsFeature(): NonNullable<NonNullable<Configuration["features"]>["mTLS"]> {
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: false,
    getCertificate: (ctx) => peerCertificate(ctx),
    certificateAuthorized: (ctx) => peerCertificateAuthorized(ctx),
    certificateSubjectMatches: (ctx, property, expected) => {
      const certificate = peerCertificate(ctx);
      return property === "tls_client_auth_san_uri" && certificate !== undefined && uriSans(certificate).includes(expected);
    },
  };
}
