import type { Middleware } from "koa";
import type { KoaContextWithOIDC } from "oidc-provider";
import { peerCertificate } from "./client-certificate.js";

/**
 * A service registered with `certificateBoundTokens` that asks for a token without a client
 * certificate is refused by oidc-provider with `invalid_grant` ("mutual TLS client certificate not
 * provided", RFC 8705 §3 names no code); this answers it as 400 `invalid_request` instead, which
 * names what is wrong with the request. Only that exact case is rewritten: an authenticated client
 * whose tokens must be bound, no certificate on the connection, `invalid_grant`.
 */
export const boundTokenErrors: Middleware = async (rawCtx, next) => {
  await next();
  if (rawCtx.path !== "/token" || rawCtx.status !== 400) return;
  const ctx = rawCtx as unknown as KoaContextWithOIDC;
  const body = ctx.body as { error?: unknown } | undefined;
  const client = (rawCtx as { oidc?: KoaContextWithOIDC["oidc"] }).oidc?.client;
  if (body?.error === "invalid_grant" && client?.tlsClientCertificateBoundAccessTokens === true && peerCertificate(rawCtx) === undefined) {
    ctx.body = {
      error: "invalid_request",
      error_description: "this service's tokens are certificate-bound: ask over mutual TLS with its certificate",
    };
  }
};
