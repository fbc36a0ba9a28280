import { isGatehouseError, readBearerToken, wwwAuthenticate, type VerifiedToken, type Verifier } from "@gatehouse/sdk";
import { GatewayError } from "../errors.js";
import type { Exchange } from "../http/exchange.js";
import type { Step } from "../http/pipeline.js";
import { bearerError } from "./bearer.js";

/**
 * Authenticates the caller of a non-public route: exactly one `Authorization: Bearer` header
 * and no token in the query (the SDK's `readBearerToken`, shared with its middleware), verified by the SDK verifier for the route's audience. A token verified
 * before comes from the verifier's LRU synchronously (`verifyCached`), so the common case costs
 * no signature check and no microtask; only a miss awaits `verify`.
 *
 * Answers: no token → 401 with a bare challenge; bad, expired, forged or wrong-audience token →
 * 401 `invalid_token`; no usable keys (auth server down beyond the stale-if-error bound) → 503
 * `verification_unavailable`. Public routes pass untouched.
 */
export function authenticateStep(verifier: Verifier, realm: string): Step {
  const challenge = (error: { code: string; description: string } | undefined) => wwwAuthenticate(error, { realm });
  return (exchange) => {
    const route = exchange.route;
    if (route === undefined || route.public) return undefined;
    const found = readBearerToken(exchange.req.rawHeaders, exchange.query);
    if (typeof found !== "string") throw bearerError(found, challenge);
    const options = route.target.verifyOptions;
    let cached: VerifiedToken | undefined;
    try {
      cached = verifier.verifyCached(found, options);
    } catch (error) {
      throw verificationError(error, challenge);
    }
    if (cached !== undefined) {
      exchange.token = cached;
      return undefined;
    }
    return verifier.verify(found, options).then(
      (token) => accept(exchange, token),
      (error: unknown) => {
        throw verificationError(error, challenge);
      },
    );
  };
}

function accept(exchange: Exchange, token: VerifiedToken): void {
  exchange.token = token;
}

function verificationError(error: unknown, challenge: (error: { code: string; description: string }) => string): GatewayError {
  if (isGatehouseError(error)) {
    if (error.code === "invalid_token") {
      return new GatewayError("invalid_token", error.description, {
        headers: { "www-authenticate": challenge({ code: error.code, description: error.description }) },
        cause: error,
      });
    }
    if (error.status === 503) {
      return new GatewayError("verification_unavailable", "tokens cannot be verified right now; retry later", {
        headers: { "retry-after": "1" },
        cause: error,
      });
    }
  }
  return new GatewayError("server_error", "token verification failed unexpectedly", { cause: error });
}
