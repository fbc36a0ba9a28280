/**
 * Asking the Gatehouse certificate endpoint for a certificate: a CSR authenticated like a token request (through
 * oauth4webapi's client authentication), or, to renew, by the current certificate over mutual TLS.
 *
 * @module
 */
import * as oauth from "oauth4webapi";
import { transportError, transportOptions } from "../discovery.js";
import { GatehouseError } from "../errors.js";

/** The grant the certificate endpoint answers (a form body may name it; oauth4webapi always sends one). */
export const CERTIFICATE_GRANT_TYPE = "urn:gatehouse:params:oauth:grant-type:certificate";

/** How a certificate request is authenticated. */
export type CertificateAuth =
  | { readonly kind: "client"; readonly metadata: oauth.AuthorizationServer; readonly client: oauth.Client; readonly auth: oauth.ClientAuth }
  | { readonly kind: "certificate" };

/**
 * POSTs `csrDer` to `endpoint` and returns the `application/pem-certificate-chain` answer. `kind: "client"` sends
 * the form (`csr` base64url) with the service's client authentication; `kind: "certificate"` sends
 * `application/pkcs10` with no credential but the client certificate `send` presents (renewal). Rejects with the
 * server's OAuth error (`invalid_client`, `invalid_request`, …), `network_error`, `timeout` or `invalid_response`.
 */
export async function requestCertificate(
  endpoint: string,
  csrDer: Buffer,
  how: CertificateAuth,
  send: typeof fetch,
  timeoutMs: number,
): Promise<string> {
  let response: Response;
  try {
    if (how.kind === "client") {
      response = await oauth.genericTokenEndpointRequest(
        { ...how.metadata, token_endpoint: endpoint },
        how.client,
        how.auth,
        CERTIFICATE_GRANT_TYPE,
        { csr: csrDer.toString("base64url") },
        transportOptions(timeoutMs, send),
      );
    } else {
      response = await send(endpoint, {
        method: "POST",
        headers: { "content-type": "application/pkcs10" },
        body: csrDer.toString("base64"),
        signal: AbortSignal.timeout(timeoutMs),
      });
    }
  } catch (error) {
    throw transportError(error, "the certificate request", timeoutMs) ?? new GatehouseError("network_error", "the certificate request failed", { cause: error });
  }
  const type = response.headers.get("content-type") ?? "";
  if (response.status === 200 && type.startsWith("application/pem-certificate-chain")) return response.text();
  if (type.includes("json")) {
    const body = (await response.json().catch(() => ({}))) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === "string") {
      const description = typeof body.error_description === "string" ? body.error_description : `the certificate endpoint answered ${body.error}`;
      throw new GatehouseError(body.error, description, { responseStatus: response.status });
    }
  }
  throw new GatehouseError("invalid_response", `the certificate endpoint answered HTTP ${response.status} (${type || "no content type"}), not a certificate chain`, {
    responseStatus: response.status,
  });
}
