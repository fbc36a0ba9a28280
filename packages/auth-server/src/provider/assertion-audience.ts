import type { Provider } from "oidc-provider";

/**
 * The audiences a client assertion may name: the configured issuer and the configured token
 * endpoint URL (`<issuer>/token`). oidc-provider's default set also holds `urlFor("token")`, built
 * from the request's `Host` header, so an assertion minted for another server's token endpoint
 * (`aud: http://evil.example/token`, sent with `Host: evil.example`) would pass. RFC 7523bis
 * points assertions at the issuer identifier; the configured token endpoint URL stays accepted
 * because deployed clients (RFC 7523 §3) use it.
 */
export function assertionAudiences(issuer: string): ReadonlySet<string> {
  return new Set([issuer, `${issuer}/token`]);
}

/** Makes `provider` accept exactly {@link assertionAudiences} as client-assertion `aud`, whatever the request. */
export function pinAssertionAudiences(provider: Provider, issuer: string): void {
  const audiences = assertionAudiences(issuer);
  Object.defineProperty(provider.OIDCContext.prototype, "clientJwtAuthExpectedAudience", {
    value: () => new Set(audiences),
    configurable: true,
  });
}
