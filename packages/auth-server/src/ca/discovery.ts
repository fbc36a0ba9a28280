import type { Middleware } from "koa";
import { CERTIFICATE_GRANT_TYPE } from "./certificate-grant.js";
import { CERTIFICATE_PATH, TRUST_BUNDLE_PATH } from "./certificate-request.js";

/**
 * Adds the CA's two endpoints to the discovery documents: `gatehouse_trust_bundle_uri` (PEM of
 * the published CA certificates, public) and `gatehouse_certificate_endpoint`. The certificate
 * grant stays out of `grant_types_supported`: it is reached through the certificate endpoint. On
 * an HTTPS listener, `tls_client_certificate_bound_access_tokens` (RFC 8705 §3.3) is true.
 */
export function advertiseCertificateEndpoints(issuer: string, mtls: boolean): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 200 || !ctx.path.startsWith("/.well-known/")) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (body === undefined || typeof body !== "object") return;
    const grants = body["grant_types_supported"];
    if (Array.isArray(grants)) body["grant_types_supported"] = grants.filter((grant) => grant !== CERTIFICATE_GRANT_TYPE);
    body["gatehouse_trust_bundle_uri"] = `${issuer}${TRUST_BUNDLE_PATH}`;
    body["gatehouse_certificate_endpoint"] = `${issuer}${CERTIFICATE_PATH}`;
    if (mtls) body["tls_client_certificate_bound_access_tokens"] = true;
  };
}
