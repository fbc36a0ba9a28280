import { createServiceIdentity, type ServiceIdentity } from "@gatehouse/sdk";
import type { ServiceCredentials } from "./credentials.js";

/**
 * A demo service's Gatehouse identity when its issuer is HTTPS under the Gatehouse CA: `trustBundle` (a PEM file,
 * `GATEHOUSE_TRUST_BUNDLE` in `main.ts`) set means mutual TLS on every hop, so the service gets a certificate with
 * the SDK's `createServiceIdentity`, authenticated with its `private_key_jwt` key; unset means plain HTTP.
 */
export function serviceIdentity(credentials: ServiceCredentials, issuer: string, trustBundle: string | undefined): ServiceIdentity | undefined {
  if (trustBundle === undefined || trustBundle === "") return undefined;
  return createServiceIdentity({
    issuer,
    clientId: credentials.clientId,
    auth: { method: "private_key_jwt", privateJwk: credentials.privateJwk },
    trustBundle,
  });
}
