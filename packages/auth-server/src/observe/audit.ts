import type { Logger } from "@gatehouse/service-kit";
import type { errors, KoaContextWithOIDC, Provider } from "oidc-provider";
import { clientAddressOf } from "../http/client-address.js";
import { CERTIFICATE_GRANT_TYPE, type CertificateState } from "../ca/certificate-grant.js";
import { claimedAssertionId, claimedClientId } from "./claimed-client.js";
import type { AuthSecurityEvents } from "./security-events.js";

/** The audit events this server writes (pino, `audit: true`, field `event`). */
export type AuditEvent =
  | "token.issued"
  | "certificate.issued"
  | "certificate.refused"
  | "token.refused"
  | "client_auth.failed"
  | "admin.service_created"
  | "admin.service_updated"
  | "admin.service_disabled"
  | "admin.service_enabled"
  | "admin.unauthorized";

/**
 * Writes one audit line for every token and certificate issued and every refused request, failed client
 * authentications as their own event. A line names the client, the resource, the scopes, the
 * token's `jti` and the remote address; never a secret, an assertion or a token.
 */
export function auditTokenEvents(provider: Provider, logger: Logger, events: AuthSecurityEvents): void {
  provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
    const certificate = (ctx.state as CertificateState).issuedCertificate;
    if (certificate !== undefined) {
      events.certificateIssued(ctx.oidc.client?.clientId, certificate.spiffeId, certificate.serial, certificate.notAfter.toISOString(), clientAddressOf(ctx));
      logger.info(
        {
          audit: true,
          event: "certificate.issued" satisfies AuditEvent,
          client: ctx.oidc.client?.clientId,
          spiffeId: certificate.spiffeId,
          serial: certificate.serial,
          notAfter: certificate.notAfter.toISOString(),
          ca: certificate.issuer,
          remote: ctx.ip,
        },
        "certificate issued",
      );
      return;
    }
    const token = ctx.oidc.entities.ClientCredentials;
    const client = ctx.oidc.client?.clientId;
    if (client !== undefined) events.tokenIssued(client, typeof token?.aud === "string" ? token.aud : undefined, token?.scope?.split(" ") ?? [], clientAddressOf(ctx));
    logger.info(
      {
        audit: true,
        event: "token.issued" satisfies AuditEvent,
        client: ctx.oidc.client?.clientId,
        resource: typeof token?.aud === "string" ? token.aud : undefined,
        scopes: token?.scope?.split(" ") ?? [],
        jti: token?.jti,
        expiresIn: token?.expiration,
        remote: clientAddressOf(ctx),
      },
      "token issued",
    );
  });
  provider.on("grant.error", (ctx: KoaContextWithOIDC, error: errors.OIDCProviderError) => {
    const failedAuth = error.error === "invalid_client";
    const forCertificate = stringParam(ctx, "grant_type") === CERTIFICATE_GRANT_TYPE;
    const event: AuditEvent = failedAuth ? "client_auth.failed" : forCertificate ? "certificate.refused" : "token.refused";
    if (failedAuth) events.authFailed(claimedClientId(ctx), clientAddressOf(ctx), error.error_detail);
    else if (error.statusCode !== 429) events.tokenRefused(claimedClientId(ctx), stringParam(ctx, "resource"), clientAddressOf(ctx), error.error);
    logger.warn(
      {
        audit: true,
        event,
        client: claimedClientId(ctx),
        resource: stringParam(ctx, "resource"),
        scopes: stringParam(ctx, "scope")?.split(" ") ?? [],
        assertionJti: claimedAssertionId(ctx),
        error: error.error,
        reason: error.error_detail,
        status: error.statusCode,
        remote: clientAddressOf(ctx),
      },
      failedAuth ? "client authentication failed" : forCertificate ? "certificate request refused" : "token request refused",
    );
  });
}

function stringParam(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value.slice(0, 512) : undefined;
}
