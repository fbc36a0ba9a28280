import { randomBytes } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "@gatehouse/service-kit";
import { Provider, type Configuration } from "oidc-provider";
import type { AuthServerConfig } from "../config/schema.js";
import type { SigningKeys } from "../keys/signing-keys.js";
import type { ClientCredentials } from "../registry/client-metadata.js";
import type { RegistryStore } from "../registry/store.js";
import type { ReplayCache } from "../replay/replay-cache.js";
import type { IssuanceLimit } from "../throttle/issuance-limit.js";
import { advertiseCertificateEndpoints } from "../ca/discovery.js";
import { CERTIFICATE_GRANT_TYPE, registerCertificateGrant, type CertificateGrantParts } from "../ca/certificate-grant.js";
import type { TransportFacts } from "../registry/client-metadata.js";
import { mtlsFeature } from "../tls/client-certificate.js";
import { createAdapterFactory } from "./adapter.js";
import { pinAssertionAudiences } from "./assertion-audience.js";
import { createAssertionReplayCheck } from "./assertion-replay.js";
import { advertiseSupportedOnly } from "./discovery.js";
import { createResourcePolicy, requireResource } from "./resource-server.js";
import { createTokenClaims } from "./token-claims.js";

/** The client assertion algorithms accepted for `private_key_jwt` (asymmetric only). */
export const CLIENT_ASSERTION_ALGORITHMS = ["ES256", "ES384", "PS256", "RS256", "EdDSA"] as const;

/** Everything the provider is built from; the server rebuilds it when the published keys change. */
export interface ProviderParts {
  readonly issuer: string;
  readonly config: AuthServerConfig;
  readonly registry: RegistryStore;
  readonly credentials: ClientCredentials;
  readonly keys: SigningKeys;
  readonly replay: ReplayCache;
  readonly issuance: IssuanceLimit;
  /** Runs before the provider's routes for every request it serves, outermost first. */
  readonly middleware: readonly Middleware[];
  /** Called with a client id and whether it names a usable client, before its credential is checked (throttling). */
  readonly admitClient: (clientId: string, known: boolean) => Promise<void>;
  readonly logger: Logger;
  /** What the current request's connection says (client certificate, renewal), for the client metadata. */
  readonly transport: () => TransportFacts | undefined;
  /** The certificate authority behind the certificate endpoint. */
  readonly certificates: Omit<CertificateGrantParts, "logger" | "registry">;
}

/**
 * Builds the oidc-provider instance: client_credentials only, RFC 8707 resource indicators with
 * the registry policy, RFC 9068 JWT access tokens signed ES256 with the current key, the three
 * client authentication methods (assertion `aud` pinned to the configured issuer and token endpoint),
 * no CORS (service-to-service), JSON errors only.
 */
export function createProvider(parts: ProviderParts): Provider {
  const { config } = parts;
  const configuration: Configuration = {
    adapter: createAdapterFactory(parts.registry, parts.credentials, parts.admitClient, parts.logger, parts.transport),
    clients: [],
    clientDefaults: {
      grant_types: ["client_credentials", CERTIFICATE_GRANT_TYPE],
      response_types: [],
      id_token_signed_response_alg: "ES256",
      token_endpoint_auth_method: "private_key_jwt",
    },
    clientAuthMethods: ["private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth"],
    enabledJWA: {
      clientAuthSigningAlgValues: [...CLIENT_ASSERTION_ALGORITHMS],
      idTokenSigningAlgValues: ["ES256"],
    },
    responseTypes: [],
    scopes: [],
    clockTolerance: config.tokens.clockToleranceSeconds,
    // Private JWKs: oidc-provider signs through WebCrypto, whose ECDSA work runs on libuv's thread pool.
    // (A synchronous node:crypto ExternalSigningKey was measured: slower for one process, equal for two.)
    jwks: { keys: parts.keys.published() },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: {
      clientCredentials: { enabled: true },
      // DPoP off (tokens are bearer or mTLS-bound); no user-facing endpoint exists.
      dPoP: { enabled: false },
      // RFC 8705 through oidc-provider's own feature, fed from the TLS socket.
      mTLS: mtlsFeature(),
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: requireResource,
        useGrantedResource: () => false,
        getResourceServerInfo: createResourcePolicy({
          registry: parts.registry,
          defaultTtlSeconds: config.tokens.ttlSeconds,
          signingKid: () => parts.keys.signingKid(),
        }),
      },
    },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.tokens.ttlSeconds,
    },
    extraTokenClaims: createTokenClaims(parts.registry, parts.issuance),
    assertJwtClientAuthClaimsAndHeader: createAssertionReplayCheck(parts.replay, config.tokens),
    clientBasedCORS: () => false,
    // Services' `jwksUri` fetches: oidc-provider passes an SSRF-guarded undici dispatcher that refuses
    // special-use addresses; an estate whose JWKS live on internal addresses opts out explicitly.
    fetch: (input, init) => {
      if (config.http.jwksUriPrivateAddresses && init !== undefined) {
        const { dispatcher: _guarded, ...rest } = init as RequestInit & { dispatcher?: unknown };
        return globalThis.fetch(input, rest);
      }
      return globalThis.fetch(input, init);
    },
    renderError: (ctx, out) => {
      ctx.type = "application/json";
      ctx.body = out;
    },
  };
  const provider = new Provider(parts.issuer, configuration);
  provider.proxy = config.http.proxy;
  pinAssertionAudiences(provider, parts.issuer);
  registerCertificateGrant(provider, { ...parts.certificates, registry: parts.registry, logger: parts.logger });
  for (const middleware of parts.middleware) provider.use(middleware);
  provider.use(advertiseCertificateEndpoints(parts.issuer, config.tls !== undefined));
  provider.use(advertiseSupportedOnly);
  return provider;
}
