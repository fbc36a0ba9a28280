/**
 * SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md): a service's
 * identity in TLS is `spiffe://<trust domain>/<service id>` in its certificate's URI SAN. Reading
 * them is the SDK's (`parseSpiffeId`, `uriSans`); this module names the auth server's own.
 */
import { parseSpiffeId, SERVICE_ID } from "@gatehouse/sdk";

const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

/** The trust domain: `trustDomain` when set, else the issuer's host (lower case, without port). */
export function trustDomainOf(issuer: string, configured: string | undefined): string {
  return configured ?? new URL(issuer).hostname.replace(/^\[|\]$/g, "").toLowerCase();
}

/** True when `value` is a valid SPIFFE trust domain name. */
export function isTrustDomain(value: string): boolean {
  return TRUST_DOMAIN.test(value);
}

/** `spiffe://<trustDomain>/<serviceId>`. */
export function spiffeIdOf(trustDomain: string, serviceId: string): string {
  return `spiffe://${trustDomain}/${serviceId}`;
}

/**
 * The service id a SPIFFE ID names in `trustDomain`, or undefined when it is not a SPIFFE ID of
 * that trust domain with exactly one path segment that is a service id.
 */
export function serviceIdOf(spiffeId: string, trustDomain: string): string | undefined {
  const parsed = parseSpiffeId(spiffeId);
  if (parsed?.trustDomain !== trustDomain) return undefined;
  const id = parsed.path.slice(1);
  return SERVICE_ID.pattern.test(id) ? id : undefined;
}
