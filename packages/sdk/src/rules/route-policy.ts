/**
 * What a protected route requires of a verified token: scopes, calling services and attributes. The one policy
 * evaluator of Gatehouse: the gateway's authorizer and the SDK middleware both call {@link evaluatePolicy}, so they
 * check in the same order and answer with the same messages.
 *
 * @module
 */
import type { VerifiedToken } from "../verifier/types.js";

/** The requirements of a route. */
export interface ServicePolicy {
  /** Scopes the token must all carry. */
  readonly scopes?: readonly string[] | undefined;
  /** Services (`sub`) allowed to call; any verified service when absent. */
  readonly services?: readonly string[] | undefined;
  /** Attributes the caller must have (the token's `urn:gatehouse:attributes`), each with exactly this value. */
  readonly attributes?: Readonly<Record<string, string>> | undefined;
}

/** A {@link ServicePolicy} prepared once for the hot path by {@link compilePolicy}. */
export interface CompiledPolicy {
  readonly scopes: readonly string[];
  readonly services: ReadonlySet<string> | undefined;
  readonly attributes: readonly (readonly [string, string])[];
}

/** Prepares a policy once (a set of services, a list of attribute pairs); the result is frozen. */
export function compilePolicy(policy: ServicePolicy): CompiledPolicy {
  return Object.freeze({
    scopes: Object.freeze([...(policy.scopes ?? [])]),
    services: policy.services === undefined ? undefined : new Set(policy.services),
    attributes: Object.freeze(Object.entries(policy.attributes ?? {}).map(([name, value]) => Object.freeze([name, value] as const))),
  });
}

/**
 * The authorization decision, a pure function of (policy, verified token), checked in this order:
 * 1. every required scope is in the token (`the token lacks the scope S`, the first one missing);
 * 2. the caller is among the allowed services, when the policy lists them (`the service X may not call this resource`);
 * 3. every required attribute has exactly its value (`the caller's attribute A does not have the required value`;
 *    the value is not echoed).
 *
 * Returns why access is denied, to answer as 403 `insufficient_scope` (RFC 6750 §3.1), or `undefined` when it is
 * granted. It allocates nothing when access is granted. It does not verify the token (pass one from the verifier) and
 * does not look at the audience (the verifier checked it) or at rate limits.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function evaluatePolicy(policy: CompiledPolicy, token: Pick<VerifiedToken, "scopes" | "service" | "attributes">): string | undefined {
  for (const scope of policy.scopes) {
    if (!token.scopes.includes(scope)) return `the token lacks the scope ${scope}`;
  }
  if (policy.services !== undefined && !policy.services.has(token.service)) {
    return `the service ${token.service} may not call this resource`;
  }
  for (const [name, value] of policy.attributes) {
    if (!Object.hasOwn(token.attributes, name) || token.attributes[name] !== value) {
      return `the caller's attribute ${name} does not have the required value`;
    }
  }
  return undefined;
}
