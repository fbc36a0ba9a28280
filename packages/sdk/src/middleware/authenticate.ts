/**
 * The one authentication step both adapters (Koa, node:http) run: read the bearer token, verify it for the
 * audience, enforce the policy, and on failure describe the RFC 6750 answer.
 *
 * @module
 */
import { GatehouseError, isGatehouseError, wwwAuthenticate } from "../errors.js";
import { createVerifier } from "../verifier/index.js";
import type { VerifiedToken, Verifier, VerifierOptions } from "../verifier/types.js";
import { bearerToken } from "./bearer.js";
import { enforcePolicy, type ServicePolicy } from "./policy.js";

/** Options of `requireService` and `authenticateRequest`. Give `verifier` (shared) or `verifierOptions`. */
export interface RequireServiceOptions extends ServicePolicy {
  /** A verifier shared with the rest of the process (recommended: one per process). */
  readonly verifier?: Verifier;
  /** Options to create a verifier from, once per options object, when `verifier` is absent. */
  readonly verifierOptions?: VerifierOptions;
  /** The audience the token must be for: this service's resource URI. */
  readonly audience: string;
  /** The `realm` of the challenge (RFC 7235 §2.2). Default: `audience`. */
  readonly realm?: string;
}

/** The answer to send when authentication fails. */
export interface AuthenticationFailure {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly error_description: string };
}

/** The verified token, or the answer to send instead. */
export type AuthenticationResult =
  | { readonly ok: true; readonly token: VerifiedToken }
  | { readonly ok: false; readonly failure: AuthenticationFailure };

const created = new WeakMap<RequireServiceOptions, Verifier>();

/** The verifier of these options: the given one, or one created from `verifierOptions` and kept for them. */
export function verifierFor(options: RequireServiceOptions): Verifier {
  if (options.verifier !== undefined) return options.verifier;
  let verifier = created.get(options);
  if (verifier === undefined) {
    if (options.verifierOptions === undefined) throw new GatehouseError("invalid_options", "verifier or verifierOptions is required");
    verifier = createVerifier(options.verifierOptions);
    created.set(options, verifier);
  }
  return verifier;
}

/** Checks the options once, when the middleware is created. */
export function checkOptions(options: RequireServiceOptions): void {
  if (typeof options.audience !== "string" || options.audience === "") {
    throw new GatehouseError("invalid_options", "audience must be this service's resource URI");
  }
  verifierFor(options);
}

function failure(error: unknown, options: RequireServiceOptions, withCredentials: boolean): AuthenticationFailure {
  const gatehouse = isGatehouseError(error)
    ? error
    : new GatehouseError("invalid_token", "the token could not be verified", { cause: error });
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (gatehouse.status === 401 || gatehouse.status === 403 || gatehouse.status === 400) {
    const scope = gatehouse.code === "insufficient_scope" ? options.scopes : undefined;
    headers["www-authenticate"] = wwwAuthenticate(withCredentials ? gatehouse : undefined, {
      realm: options.realm ?? options.audience,
      ...(scope === undefined ? {} : { scope }),
    });
  }
  return { status: gatehouse.status, headers, body: gatehouse.toJSON() };
}

const MISSING = new GatehouseError("invalid_token", "a bearer token is required");

/**
 * Authenticates one request from its raw headers. Answers: no credentials → 401 with a bare challenge
 * (RFC 6750 §3.1); malformed or repeated `Authorization` → 400 `invalid_request`; a token that fails verification
 * → 401 `invalid_token`; a valid token without the scopes or from a service not allowed → 403
 * `insufficient_scope`; keys unavailable → 503 without a challenge.
 */
export async function authenticate(rawHeaders: readonly string[], options: RequireServiceOptions): Promise<AuthenticationResult> {
  let jwt: string | undefined;
  try {
    jwt = bearerToken(rawHeaders);
  } catch (error) {
    return { ok: false, failure: failure(error, options, true) };
  }
  if (jwt === undefined) return { ok: false, failure: failure(MISSING, options, false) };
  try {
    const verifier = verifierFor(options);
    const call = { audience: options.audience };
    const token = verifier.verifyCached(jwt, call) ?? (await verifier.verify(jwt, call));
    enforcePolicy(token, options);
    return { ok: true, token };
  } catch (error) {
    return { ok: false, failure: failure(error, options, true) };
  }
}
