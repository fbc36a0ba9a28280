import { type BearerProblem } from "@gatehouse/sdk";
import { GatewayError } from "../errors.js";

/**
 * The gateway error for a request without a usable bearer token (the SDK's `readBearerToken`
 * found the problem and describes it): no credentials → 401 with a bare challenge (RFC 6750
 * §3.1); a repeated or malformed `Authorization` header, or a token in the query → 400
 * `invalid_request` with its challenge.
 */
export function bearerError(problem: BearerProblem, challenge: (error: { code: string; description: string } | undefined) => string): GatewayError {
  return new GatewayError(problem.code, problem.description, {
    headers: { "www-authenticate": challenge(problem.problem === "missing" ? undefined : problem) },
  });
}
