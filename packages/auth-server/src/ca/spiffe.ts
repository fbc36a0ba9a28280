/**
 * SPIFFE IDs (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md): a service's
 * identity in TLS is `spiffe://<trust domain>/<service id>` in its certificate's URI SAN.
 */

const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const SERVICE_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

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
  const prefix = `spiffe://${trustDomain}/`;
  if (!spiffeId.startsWith(prefix)) return undefined;
  const id = spiffeId.slice(prefix.length);
  return SERVICE_ID.test(id) ? id : undefined;
}
