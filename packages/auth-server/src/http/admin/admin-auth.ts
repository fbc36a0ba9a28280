import type { Middleware } from "koa";
import { readBearerToken, staticCredentialMatcher, wwwAuthenticate } from "@gatehouse/sdk";
import type { Logger } from "@gatehouse/service-kit";
import { AuthServerError } from "../../errors.js";
import { ThrottledError, type Admission, type AuthThrottle } from "../../throttle/auth-throttle.js";
import { clientAddressOf } from "../client-address.js";
import type { AuthSecurityEvents } from "../../observe/security-events.js";

/** Shortest accepted admin credential. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/** The protection space of the admin API's challenges. */
const REALM = "gatehouse-admin";

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
  /** Throttles failed admin authentications per source address. */
  readonly throttle: AuthThrottle;
  /** Where refused calls go as `admin.refused` security events. */
  readonly events?: AuthSecurityEvents | undefined;
}

/**
 * Requires `Authorization: Bearer …` (RFC 6750 §2.1, read by the SDK's `readBearerToken` like
 * every Gatehouse resource): the static admin credential, compared in constant time by the SDK's
 * `staticCredentialMatcher` (SHA-256 digests: neither content nor length leaks through timing),
 * or, with `admin.audience`, a
 * Gatehouse access token this server signed for that audience. No credential, or a wrong or
 * expired one, is a 401 `invalid_token`; two `Authorization` headers, a malformed value or an
 * `access_token` query parameter a 400 `invalid_request`; a valid token without the admin scope a
 * 403 `insufficient_scope`; each with the SDK's `WWW-Authenticate: Bearer` challenge (RFC 6750 §3)
 * and an audit line naming the real source address. Failed attempts are throttled per source like
 * client authentications (429 `too_many_failures` with `Retry-After`). The caller lands in
 * `ctx.state.admin.actor` for the audit log.
 */
export function requireAdmin(options: AdminAuthOptions): Middleware {
  const matches = options.credential === undefined ? undefined : staticCredentialMatcher(options.credential);
  return async (ctx, next) => {
    const remote = clientAddressOf(ctx);
    let admission: Admission | undefined;
    try {
      admission = await options.throttle.admitAdmin(remote);
    } catch (error) {
      if (!(error instanceof ThrottledError)) throw error;
      options.logger.warn({ audit: true, event: "admin.unauthorized", method: ctx.method, path: ctx.path, remote, error: "too_many_failures" }, "admin API call refused");
      options.events?.adminRefused("too_many_failures", ctx.method, ctx.path, remote);
      throw new AuthServerError("too_many_failures", "too many failed admin authentications from this address; retry later", {
        headers: { "Retry-After": String(error.retryAfterSeconds) },
      });
    }
    const refuse = (
      code: "admin_unauthorized" | "admin_forbidden" | "admin_bad_request",
      description: string,
      challenge: { code: string; description: string } | undefined,
    ) => {
      options.logger.warn({ audit: true, event: "admin.unauthorized", method: ctx.method, path: ctx.path, remote, error: code }, "admin API call refused");
      options.events?.adminRefused(code, ctx.method, ctx.path, remote);
      const scope = code === "admin_forbidden" ? { scope: options.scope } : {};
      return new AuthServerError(code, description, { headers: { "WWW-Authenticate": wwwAuthenticate(challenge, { realm: REALM, ...scope }) } });
    };
    const authenticate = async (): Promise<string> => {
      const given = readBearerToken(ctx.req.rawHeaders, ctx.querystring);
      if (typeof given !== "string") {
        if (given.problem === "missing") throw refuse("admin_unauthorized", "the admin API requires a bearer credential", undefined);
        throw refuse("admin_bad_request", given.description, given);
      }
      if (matches?.(given) === true) return "admin-credential";
      const verified = options.verifyToken !== undefined && given.split(".").length === 3 ? await options.verifyToken(given) : undefined;
      if (verified === undefined) {
        const description = "the admin credential is not valid";
        throw refuse("admin_unauthorized", description, { code: "invalid_token", description });
      }
      if (!verified.scopes.includes(options.scope)) {
        const description = `the token lacks the ${options.scope} scope`;
        throw refuse("admin_forbidden", description, { code: "insufficient_scope", description });
      }
      return verified.sub;
    };
    let actor: string;
    try {
      actor = await authenticate();
    } catch (error) {
      if (admission !== undefined) await options.throttle.settle(admission, true);
      throw error;
    }
    if (admission !== undefined) await options.throttle.settle(admission, false);
    (ctx.state as { admin?: AdminActor }).admin = { actor };
    await next();
  };
}
