/**
 * The one authentication step both adapters (Koa, node:http) run: read the bearer token, verify it for the
 * audience, enforce the policy, and on failure describe the RFC 6750 answer.
 *
 * @module
 */
import { GatehouseError, isGatehouseError, wwwAuthenticate } from "../errors.js";
import { readBearerToken } from "../rules/bearer-header.js";
import { SCOPE_TOKEN, SERVICE_ID } from "../rules/patterns.js";
import { compilePolicy, evaluatePolicy, type CompiledPolicy, type ServicePolicy } from "../rules/route-policy.js";
import { createVerifier } from "../verifier/index.js";
import type { VerifiedToken, Verifier, VerifierOptions } from "../verifier/types.js";
import type { Socket } from "node:net";
import { checkTransportBinding, peerCertificateOf } from "../identity/binding.js";
import { parseSpiffeId, spiffeIdOf } from "../identity/spiffe.js";

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
  /**
   * Services whose mutual-TLS connections forward other services' calls (the gateway, which checked the binding of
   * certificate-bound tokens itself). On any other connection a bound token must come with its own client
   * certificate. Default `["gateway"]`.
   */
  readonly forwarders?: readonly string[];
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
const compiled = new WeakMap<RequireServiceOptions, CompiledPolicy>();

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

/** The policy of these options, compiled once per options object. */
function policyFor(options: RequireServiceOptions): CompiledPolicy {
  let policy = compiled.get(options);
  if (policy === undefined) {
    policy = compilePolicy(options);
    compiled.set(options, policy);
  }
  return policy;
}

/** Checks the options once, when the middleware is created: the audience, the verifier and the policy's names. */
export function checkOptions(options: RequireServiceOptions): void {
  if (typeof options.audience !== "string" || options.audience === "") {
    throw new GatehouseError("invalid_options", "audience must be this service's resource URI");
  }
  for (const scope of options.scopes ?? []) {
    if (!SCOPE_TOKEN.pattern.test(scope)) throw new GatehouseError("invalid_options", `scopes: ${JSON.stringify(scope)} ${SCOPE_TOKEN.message}`);
  }
  for (const service of options.services ?? []) {
    if (!SERVICE_ID.pattern.test(service)) throw new GatehouseError("invalid_options", `services: ${JSON.stringify(service)} ${SERVICE_ID.message}`);
  }
  verifierFor(options);
  policyFor(options);
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

const DEFAULT_FORWARDERS: readonly string[] = ["gateway"];

/** Throws `invalid_token` when a direct call's certificate does not fit its token (see {@link authenticate}). */
function checkDirectBinding(token: VerifiedToken, socket: Socket, forwarders: readonly string[]): void {
  const certificate = peerCertificateOf(socket);
  const peerId = certificate === undefined ? undefined : spiffeIdOf(certificate);
  const peerService = peerId === undefined ? undefined : parseSpiffeId(peerId)?.path.slice(1);
  const forwarded = peerService !== undefined && forwarders.includes(peerService) && peerService !== token.service;
  if (forwarded) return;
  const result = checkTransportBinding(token.claims, certificate);
  if (!result.ok) throw new GatehouseError("invalid_token", result.description);
}

/**
 * Authenticates one request from its raw headers and query (see `readBearerToken`), then applies the policy of the
 * options (`evaluatePolicy`: scopes, services, attributes). Answers: no credentials → 401 with a bare challenge
 * (RFC 6750 §3.1); malformed or repeated `Authorization`, or an `access_token` query parameter → 400
 * `invalid_request`; a token that fails verification → 401 `invalid_token`; a valid token without a scope, from a
 * service not allowed, or without a required attribute value → 403 `insufficient_scope`; keys unavailable → 503
 * without a challenge. On a direct call (`socket` given, not a mutual-TLS connection from one of `forwarders`), a
 * certificate-bound token (RFC 8705 `cnf.x5t#S256`) needs its own client certificate on the connection, and a
 * client certificate's SPIFFE ID must name the token's `sub` (`checkTransportBinding`, the rule the gateway
 * applies): else 401 `invalid_token`.
 */
export async function authenticate(
  rawHeaders: readonly string[],
  options: RequireServiceOptions,
  query = "",
  socket?: Socket,
): Promise<AuthenticationResult> {
  const jwt = readBearerToken(rawHeaders, query);
  if (typeof jwt !== "string") {
    return { ok: false, failure: failure(new GatehouseError(jwt.code, jwt.description), options, jwt.problem !== "missing") };
  }
  try {
    const verifier = verifierFor(options);
    const call = { audience: options.audience };
    const token = verifier.verifyCached(jwt, call) ?? (await verifier.verify(jwt, call));
    if (socket !== undefined) checkDirectBinding(token, socket, options.forwarders ?? DEFAULT_FORWARDERS);
    const denial = evaluatePolicy(policyFor(options), token);
    if (denial !== undefined) return { ok: false, failure: failure(new GatehouseError("insufficient_scope", denial), options, true) };
    return { ok: true, token };
  } catch (error) {
    return { ok: false, failure: failure(error, options, true) };
  }
}
