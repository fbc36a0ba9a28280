import Router from "@koa/router";
import { AuthServerError } from "../errors.js";
import type { CertificateAuthority } from "./certificate-authority.js";
import { TRUST_BUNDLE_PATH } from "./certificate-request.js";

/**
 * `GET /trust-bundle.pem`: the published CA certificates (PEM), public. During a CA rotation it
 * holds the new CA before it signs and the old one until its last certificate has expired, so
 * peers that re-read it at least every `delaySeconds` never meet a certificate they cannot verify.
 */
export function trustBundleRouter(authority: () => CertificateAuthority | undefined): Router {
  const router = new Router();
  router.get(TRUST_BUNDLE_PATH, (ctx) => {
    const ca = authority();
    if (ca === undefined) throw new AuthServerError("service_unavailable", "the certificate authority is not loaded yet");
    ctx.set("Cache-Control", "no-cache");
    ctx.type = "application/pem-certificate-chain";
    ctx.body = ca.bundlePem();
  });
  return router;
}
