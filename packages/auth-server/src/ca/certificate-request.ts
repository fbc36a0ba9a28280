import { parse } from "node:querystring";
import type { Middleware } from "koa";
import { AuthServerError } from "../errors.js";
import { sendError } from "../http/send-error.js";
import { uriSans } from "@gatehouse/sdk";
import { peerCertificate } from "../tls/client-certificate.js";
import { serviceIdOf } from "./spiffe.js";
import { CERTIFICATE_GRANT_TYPE } from "./certificate-grant.js";

/** Path of the certificate endpoint (`gatehouse_certificate_endpoint` in discovery). */
export const CERTIFICATE_PATH = "/certificates";

/** Path of the public trust bundle (`gatehouse_trust_bundle_uri` in discovery). */
export const TRUST_BUNDLE_PATH = "/trust-bundle.pem";

/**
 * Turns `POST /certificates` into a token request with the certificate grant, before the
 * provider routes it. Two bodies are accepted: `application/pkcs10` (base64 DER, RFC 7030 §4.2.1)
 * with HTTP Basic or the service's current certificate over mTLS (renewal: `client_id` is the service
 * its SPIFFE ID names, authenticated as `tls_client_auth`), or a form with the CSR in `csr` (base64url DER) beside
 * `client_assertion` (`grant_type` may be left out or be {@link CERTIFICATE_GRANT_TYPE}, so generic
 * OAuth clients can post it). Anything else is 400 `invalid_certificate_request`;
 * a request without any client authentication (no Basic, no `client_secret`, no
 * `client_assertion`, no client certificate) is 401 `invalid_client` with `WWW-Authenticate`. The body is read here
 * (at most `limit` bytes) and handed to the provider already parsed.
 */
export function certificateRequests(limit: number, trustDomain: string): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== CERTIFICATE_PATH) {
      await next();
      return;
    }
    const kind = ctx.request.is("application/pkcs10", "application/x-www-form-urlencoded");
    if (kind === false || kind === null) {
      sendError(ctx, new AuthServerError("invalid_certificate_request", "the body must be application/pkcs10 (base64 DER) or a form with csr"));
      return;
    }
    const text = await readText(ctx.req, limit);
    if (text === undefined) {
      sendError(ctx, new AuthServerError("body_too_large", `request body larger than ${limit} bytes`));
      ctx.set("Connection", "close");
      return;
    }
    let params: Record<string, string | string[] | undefined>;
    if (kind === "application/pkcs10") {
      params = { csr: text.replace(/\s+/g, "") };
    } else {
      params = parse(text);
      const grantType = params["grant_type"];
      if (grantType !== undefined && grantType !== CERTIFICATE_GRANT_TYPE) {
        sendError(ctx, new AuthServerError("invalid_certificate_request", `grant_type, when sent to the certificate endpoint, must be ${CERTIFICATE_GRANT_TYPE}`));
        return;
      }
    }
    if (ctx.get("authorization") === "" && params["client_assertion"] === undefined && params["client_secret"] === undefined) {
      const certificate = peerCertificate(ctx);
      if (certificate === undefined) {
        sendError(ctx, new AuthServerError("certificate_unauthenticated", "client authentication is required"));
        ctx.set("WWW-Authenticate", 'Basic realm="gatehouse"');
        return;
      }
      // Renewal: the current certificate authenticates (tls_client_auth, decided by oidc-provider);
      // the client is the service its SPIFFE ID names in this trust domain.
      const serviceId = uriSans(certificate)
        .map((uri) => serviceIdOf(uri, trustDomain))
        .find((id) => id !== undefined);
      params["client_id"] ??= serviceId ?? "";
      (ctx.state as CertificateRenewal).renewal = true;
    }
    Object.assign(ctx.req, { body: { ...params, grant_type: CERTIFICATE_GRANT_TYPE } });
    ctx.req.headers["content-type"] = "application/x-www-form-urlencoded";
    ctx.path = "/token";
    await next();
  };
}

/** Marks a certificate request authenticated by the client's current certificate alone. */
export interface CertificateRenewal {
  renewal?: boolean;
}

async function readText(stream: AsyncIterable<Buffer>, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of stream) {
    received += chunk.length;
    if (received > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
