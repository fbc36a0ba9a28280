import { decodeJwt } from "jose";
import type { KoaContextWithOIDC } from "oidc-provider";

/**
 * The client id a token request claims, for audit lines and metrics: the authenticated client if
 * any, else the `client_id` parameter, the Basic user name or the assertion's `sub`, decoded
 * without trusting it. Never the secret or the assertion itself; cut to 128 characters.
 */
export function claimedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const claimed = ctx.oidc.client?.clientId ?? param(ctx, "client_id") ?? basicUser(ctx.headers.authorization) ?? assertionClaim(param(ctx, "client_assertion"), "sub");
  return claimed?.slice(0, 128);
}

/** The `jti` a client assertion claims (decoded, not trusted), to trace replays; cut to 128 characters. */
export function claimedAssertionId(ctx: KoaContextWithOIDC): string | undefined {
  return assertionClaim(param(ctx, "client_assertion"), "jti")?.slice(0, 128);
}

function param(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = (ctx.oidc.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function basicUser(header: string | undefined): string | undefined {
  if (header?.toLowerCase().startsWith("basic ") !== true) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, "%20"));
  } catch {
    return undefined;
  }
}

/** A claim of the assertion's payload, decoded with jose's `decodeJwt` (not verified: for logs only). */
function assertionClaim(assertion: string | undefined, name: "sub" | "jti"): string | undefined {
  if (assertion === undefined || assertion.length > 16_384) return undefined;
  try {
    const value = decodeJwt(assertion)[name];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
