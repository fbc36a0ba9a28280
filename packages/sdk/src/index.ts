/**
 * `@gatehouse/sdk`: get a service token in one line, verify an incoming one in one line.
 *
 * - Client side: {@link createTokenSource} (client credentials with RFC 8707 resources, through oauth4webapi).
 * - Resource side: {@link createVerifier} (RFC 9068 JWT access tokens, RFC 8725 rules).
 * - Errors: {@link GatehouseError}, {@link isGatehouseError}, {@link wwwAuthenticate} (RFC 6750 §3); the base of every
 *   Gatehouse package's errors, {@link BrandedError}, with {@link isBrandedError}.
 * - Rules every component applies the same way: {@link readBearerToken} (RFC 6750 §2.1), {@link evaluatePolicy}
 *   (scopes, services, attributes), the patterns ({@link SCOPE_TOKEN}, {@link SERVICE_ID}, …) and
 *   {@link VERIFIER_DEFAULTS}.
 * - Transport identity: {@link createServiceIdentity} (a Gatehouse certificate naming the service's SPIFFE ID, made
 *   and renewed in the process), {@link createServiceServer} (a backend that accepts only listed services) and
 *   {@link checkTransportBinding} (RFC 8705 certificate-bound tokens).
 *
 * @module
 */
export {
  GATEHOUSE_ERROR_CODES,
  GatehouseError,
  isGatehouseError,
  wwwAuthenticate,
  type GatehouseErrorCode,
  type GatehouseErrorOptions,
  type KnownGatehouseErrorCode,
  type WwwAuthenticateOptions,
} from "./errors.js";
export { BrandedError, ERROR_BRAND, isBrandedError, type BrandedErrorOptions } from "./branded-error.js";
export { BEARER_PROBLEMS, queryOf, readBearerToken, type BearerProblem, type BearerProblemKind } from "./rules/bearer-header.js";
export { ATTRIBUTE_NAME, B64TOKEN, CHALLENGE_VALUE, SCOPE_TOKEN, SERVICE_ID, type NamedPattern } from "./rules/patterns.js";
export { compilePolicy, evaluatePolicy, type CompiledPolicy, type ServicePolicy } from "./rules/route-policy.js";
export { staticCredentialMatcher } from "./rules/static-credential.js";
export { VERIFIER_DEFAULTS } from "./verifier/defaults.js";
export { createVerifier } from "./verifier/index.js";
export { createKeySetVerifier, type KeySetVerifierOptions } from "./verifier/key-set-verifier.js";
export {
  ATTRIBUTES_CLAIM,
  type JwksOptions,
  type VerifiedToken,
  type Verifier,
  type VerifierHealth,
  type VerifierOptions,
  type VerifierStats,
  type VerifyCallOptions,
} from "./verifier/types.js";
export type {
  RevocationEvent,
  RevocationFailureMode,
  RevocationFeedAuth,
  RevocationOptions,
  RevocationStatus,
} from "./revocation/types.js";
export type { Revocation } from "./revocation/revocation-set.js";
export { createTokenSource } from "./client/token-source.js";
export { DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE, type ClientAuthentication } from "./client/authentication.js";
export type {
  AuthFetchInit,
  RetryOptions,
  TokenRequest,
  TokenSource,
  TokenSourceOptions,
  TokenSourceStats,
} from "./client/types.js";
export { requireService, type GatehouseState, type KoaContextLike, type KoaMiddlewareLike } from "./middleware/koa.js";
export { authenticateRequest } from "./middleware/node-http.js";
export type { RequireServiceOptions } from "./middleware/authenticate.js";
export { createServiceIdentity } from "./identity/service-identity.js";
export { createServiceServer, type ServiceServerOptions } from "./identity/service-server.js";
export { parseSpiffeId, spiffeIdOf, uriSans } from "./identity/spiffe.js";
export { holdsWholeCertificates, pemCertificates } from "./identity/pem.js";
export { certificateThumbprint, checkTransportBinding, peerCertificateOf, type BindingResult } from "./identity/binding.js";
export type { IdentityTlsOptions, ServiceIdentity, ServiceIdentityOptions } from "./identity/types.js";
