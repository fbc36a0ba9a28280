import { evaluatePolicy, wwwAuthenticate } from "@gatehouse/sdk";
import { GatewayError } from "../errors.js";
import type { Step } from "../http/pipeline.js";

/**
 * Applies the route's policy to an authenticated request with the SDK's `evaluatePolicy` (the
 * one evaluator, shared with the SDK middleware: scopes, then calling services, then
 * attributes). A denial is 403 `insufficient_scope` (RFC 6750 §3.1) with a challenge that lists
 * the route's required scopes.
 */
export function authorizeStep(realm: string): Step {
  return (exchange) => {
    const route = exchange.route;
    const token = exchange.token;
    if (route === undefined || route.public || token === undefined) return;
    const denial = evaluatePolicy(route.target.policy, token);
    if (denial === undefined) return;
    const scope = route.target.policy.scopes;
    throw new GatewayError("insufficient_scope", denial, {
      headers: {
        "www-authenticate": wwwAuthenticate({ code: "insufficient_scope", description: denial }, scope.length === 0 ? { realm } : { realm, scope }),
      },
    });
  };
}
