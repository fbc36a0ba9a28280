import type { Logger } from "@gatehouse/service-kit";
import { errors, type KoaContextWithOIDC, type Provider } from "oidc-provider";
import type { RegistryStore } from "../registry/store.js";
import type { CertificateAuthority, IssuedCertificate } from "./certificate-authority.js";
import { CsrRejected, readCsr } from "./csr.js";
import { spiffeIdOf } from "./spiffe.js";

/**
 * The grant type behind the certificate endpoint. `POST /certificates` is answered by the token
 * endpoint's own pipeline with this grant, so a service authenticates for a certificate exactly as
 * for a token (client_secret_basic, private_key_jwt with replay protection, tls_client_auth, the
 * failed-authentication throttle, the audit) and no second client authentication exists.
 */
export const CERTIFICATE_GRANT_TYPE = "urn:gatehouse:params:oauth:grant-type:certificate";

/** What the certificate grant needs. */
export interface CertificateGrantParts {
  readonly authority: CertificateAuthority;
  readonly registry: RegistryStore;
  readonly trustDomain: string;
  readonly ttlSeconds: number;
  readonly logger: Logger;
}

/** What an issued certificate leaves on the request for the audit line. */
export interface CertificateState {
  issuedCertificate?: IssuedCertificate & { spiffeId: string };
}

/**
 * Registers the certificate grant: the authenticated client's CSR (`csr`, base64url DER) is
 * checked ({@link readCsr}) and signed for the client's SPIFFE ID and registered `dnsNames`; the
 * answer is `application/pem-certificate-chain`. A bad CSR is 400 `invalid_request`.
 */
export function registerCertificateGrant(provider: Provider, parts: CertificateGrantParts): void {
  provider.registerGrantType(
    CERTIFICATE_GRANT_TYPE,
    async (ctx: KoaContextWithOIDC) => {
      const serviceId = ctx.oidc.client?.clientId;
      const record = serviceId === undefined ? undefined : await parts.registry.get(serviceId);
      if (serviceId === undefined || record === undefined) throw new errors.InvalidClient("client authentication failed");
      const csrParam = (ctx.oidc.params as { csr?: unknown }).csr;
      if (typeof csrParam !== "string") throw new errors.InvalidRequest("missing required parameter 'csr'");
      const identity = { serviceId, spiffeId: spiffeIdOf(parts.trustDomain, serviceId), dnsNames: record.dnsNames ?? [] };
      let publicKey;
      try {
        publicKey = (await readCsr(csrParam, identity)).publicKey;
      } catch (error) {
        if (error instanceof CsrRejected) throw new errors.InvalidRequest(error.message);
        throw error;
      }
      const issued = await parts.authority.issue(publicKey, identity, parts.ttlSeconds);
      (ctx.state as CertificateState).issuedCertificate = { ...issued, spiffeId: identity.spiffeId };
      ctx.type = "application/pem-certificate-chain";
      ctx.body = issued.chainPem;
    },
    ["csr"],
  );
}
