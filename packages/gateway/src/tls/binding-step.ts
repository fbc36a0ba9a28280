import { checkTransportBinding, peerCertificateOf, wwwAuthenticate } from "@gatehouse/sdk";
import { GatewayError } from "../errors.js";
import type { Step } from "../http/pipeline.js";

/**
 * RFC 8705 at the gateway, through the SDK's one binding rule (`checkTransportBinding`): a token carrying
 * `cnf.x5t#S256` passes only on a TLS connection whose client certificate has that thumbprint, a client
 * certificate's SPIFFE ID must name the token's `sub`, and a route with `policy.boundTokens` refuses unbound
 * tokens. Every refusal is 401 `invalid_token` with its `WWW-Authenticate` challenge; nothing reaches a backend.
 * Public routes and requests without a verified token pass untouched.
 */
export function bindingStep(realm: string): Step {
  return (exchange) => {
    const route = exchange.route;
    const token = exchange.token;
    if (route === undefined || route.public || token === undefined) return;
    const result = checkTransportBinding(token.claims, peerCertificateOf(exchange.req.socket), route.target.boundTokens);
    if (result.ok) return;
    throw new GatewayError("invalid_token", result.description, {
      headers: { "www-authenticate": wwwAuthenticate({ code: "invalid_token", description: result.description }, { realm }) },
    });
  };
}
