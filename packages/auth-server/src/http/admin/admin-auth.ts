import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import { AuthServerError } from "../../errors.js";

/** Shortest accepted admin credential. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * Requires `Authorization: Bearer <admin credential>` (RFC 6750 §2.1). The comparison is constant
 * time over SHA-256 digests, so neither content nor length leaks through timing. A missing or wrong
 * credential is a 401 `invalid_token` with a `WWW-Authenticate: Bearer` challenge and an audit line.
 */
export function requireAdminToken(expected: string, logger: Logger): Middleware {
  const want = createHash("sha256").update(expected).digest();
  return async (ctx, next) => {
    const header = ctx.get("authorization");
    const match = /^Bearer ([\x21-\x7E]+)$/i.exec(header);
    const given = createHash("sha256").update(match?.[1] ?? "").digest();
    if (match === null || !timingSafeEqual(given, want)) {
      logger.warn({ audit: true, event: "admin.unauthorized", method: ctx.method, path: ctx.path, remote: ctx.ip }, "admin API call without a valid credential");
      ctx.set("WWW-Authenticate", `Bearer realm="gatehouse-admin"${match === null ? "" : ', error="invalid_token"'}`);
      throw new AuthServerError("admin_unauthorized", match === null ? "the admin API requires a bearer credential" : "the admin credential is not valid");
    }
    await next();
  };
}
