/**
 * What a protected route requires of a verified token: scopes and calling services. A pure function.
 *
 * @module
 */
import { GatehouseError } from "../errors.js";
import type { VerifiedToken } from "../verifier/types.js";

/** The requirements of a route. */
export interface ServicePolicy {
  /** Scopes the token must all carry. */
  readonly scopes?: readonly string[];
  /** Services (`sub`) allowed to call; any verified service when absent. */
  readonly services?: readonly string[];
}

/**
 * Throws `insufficient_scope` (403, RFC 6750 §3.1) when the token lacks a required scope or its service is not in
 * `services`. It does not verify the token: pass one from the verifier.
 */
export function enforcePolicy(token: VerifiedToken, policy: ServicePolicy): void {
  if (policy.services !== undefined && !policy.services.includes(token.service)) {
    throw new GatehouseError("insufficient_scope", `service ${token.service} may not call this resource`);
  }
  const missing = (policy.scopes ?? []).filter((scope) => !token.scopes.includes(scope));
  if (missing.length > 0) {
    throw new GatehouseError("insufficient_scope", `the token lacks the scope ${missing.join(" ")}`);
  }
}
