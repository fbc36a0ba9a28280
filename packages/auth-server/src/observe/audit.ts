import type { Logger } from "@gatehouse/service-kit";
import type { errors, KoaContextWithOIDC, Provider } from "oidc-provider";
import { clientAddressOf } from "../http/client-address.js";
import { claimedAssertionId, claimedClientId } from "./claimed-client.js";

/** The audit events this server writes (pino, `audit: true`, field `event`). */
export type AuditEvent =
  | "token.issued"
  | "token.refused"
  | "client_auth.failed"
  | "admin.service_created"
  | "admin.service_updated"
  | "admin.service_disabled"
  | "admin.service_enabled"
  | "admin.unauthorized";

/**
 * Writes one audit line for every token issued and every refused token request, failed client
 * authentications as their own event. A line names the client, the resource, the scopes, the
 * token's `jti` and the remote address; never a secret, an assertion or a token.
 */
export function auditTokenEvents(provider: Provider, logger: Logger): void {
  provider.on("grant.success", (ctx: KoaContextWithOIDC) => {
    const token = ctx.oidc.entities.ClientCredentials;
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
    logger.warn(
      {
        audit: true,
        event: (failedAuth ? "client_auth.failed" : "token.refused") satisfies AuditEvent,
        client: claimedClientId(ctx),
        resource: stringParam(ctx, "resource"),
        scopes: stringParam(ctx, "scope")?.split(" ") ?? [],
        assertionJti: claimedAssertionId(ctx),
        error: error.error,
        reason: error.error_detail,
        status: error.statusCode,
        remote: clientAddressOf(ctx),
      },
      failedAuth ? "client authentication failed" : "token request refused",
    );
  });
}

function stringParam(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value.slice(0, 512) : undefined;
}
