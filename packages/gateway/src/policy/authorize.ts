import type { VerifiedToken } from "@gatehouse/sdk";
import type { RouteConfig } from "../config/schema.js";

/** A route policy compiled for the hot path. */
export interface CompiledPolicy {
  readonly scopes: readonly string[];
  readonly services: ReadonlySet<string> | undefined;
  readonly attributes: readonly (readonly [string, string])[];
}

/** Compiles a route's `policy` block once. */
export function compilePolicy(policy: RouteConfig["policy"]): CompiledPolicy {
  return {
    scopes: policy.scopes,
    services: policy.services === undefined ? undefined : new Set(policy.services),
    attributes: Object.entries(policy.attributes),
  };
}

/**
 * The authorization decision, a pure function of (route policy, verified token): every required
 * scope present, the caller among the allowed services (when the route lists them), and every
 * required attribute equal to its value. Returns why access is denied, or `undefined` when it is
 * granted. It does not look at the audience (the verifier checked it) or at rate limits.
 */
export function authorize(policy: CompiledPolicy, token: VerifiedToken): string | undefined {
  for (const scope of policy.scopes) {
    if (!token.scopes.includes(scope)) return `the token lacks the scope ${scope}`;
  }
  if (policy.services !== undefined && !policy.services.has(token.service)) {
    return `the service ${token.service} may not call this route`;
  }
  for (const [name, value] of policy.attributes) {
    if (token.attributes[name] !== value) return `the caller's attribute ${name} does not have the required value`;
  }
  return undefined;
}
