import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import { AuthServerError } from "../../errors.js";

/** Shortest accepted admin credential. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** Who made an admin call: the static credential, or the service a Gatehouse token names. */
export interface AdminActor {
  readonly actor: string;
}

/** Checks a Gatehouse access token for the admin API; resolves with its `sub` and scopes, undefined when invalid. */
export type AdminTokenVerifier = (token: string) => Promise<{ readonly sub: string; readonly scopes: readonly string[] } | undefined>;

export interface AdminAuthOptions {
  /** The static admin credential, when configured. */
  readonly credential?: string | undefined;
  /** Verifies Gatehouse tokens for `admin.audience`, when configured. */
  readonly verifyToken?: AdminTokenVerifier | undefined;
  /** The scope a token must carry. */
  readonly scope: string;
  readonly logger: Logger;
}

/**
 * Requires `Authorization: Bearer …` (RFC 6750 §2.1): the static admin credential, compared in
 * constant time over SHA-256 digests (neither content nor length leaks through timing), or, with
 * `admin.audience`, a Gatehouse access token this server signed for that audience. A missing,
 * wrong or expired credential is a 401 `invalid_token`, a valid token without the admin scope a
 * 403 `insufficient_scope`, both with a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3) and an
 * audit line. The caller lands in `ctx.state.admin.actor` for the audit log.
 */
export function requireAdmin(options: AdminAuthOptions): Middleware {
  const want = options.credential === undefined ? undefined : createHash("sha256").update(options.credential).digest();
  const realm = 'Bearer realm="gatehouse-admin"';
  return async (ctx, next) => {
    const match = /^Bearer ([\x21-\x7E]+)$/i.exec(ctx.get("authorization"));
    const refuse = (code: "admin_unauthorized" | "admin_forbidden", message: string, challenge: string) => {
      options.logger.warn({ audit: true, event: "admin.unauthorized", method: ctx.method, path: ctx.path, remote: ctx.ip, error: code }, "admin API call refused");
      ctx.set("WWW-Authenticate", challenge);
      return new AuthServerError(code, message);
    };
    if (match === null) throw refuse("admin_unauthorized", "the admin API requires a bearer credential", realm);
    const given = match[1] ?? "";
    const digest = createHash("sha256").update(given).digest();
    if (want !== undefined && timingSafeEqual(digest, want)) {
      (ctx.state as { admin?: AdminActor }).admin = { actor: "admin-credential" };
      await next();
      return;
    }
    const verified = options.verifyToken !== undefined && given.split(".").length === 3 ? await options.verifyToken(given) : undefined;
    if (verified === undefined) throw refuse("admin_unauthorized", "the admin credential is not valid", `${realm}, error="invalid_token"`);
    if (!verified.scopes.includes(options.scope)) {
      throw refuse("admin_forbidden", `the token lacks the ${options.scope} scope`, `${realm}, error="insufficient_scope", scope="${options.scope}"`);
    }
    (ctx.state as { admin?: AdminActor }).admin = { actor: verified.sub };
    await next();
  };
}
