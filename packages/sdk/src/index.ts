/**
 * `@gatehouse/sdk`: get a service token in one line, verify an incoming one in one line.
 *
 * - Client side: {@link createTokenSource} (client credentials with RFC 8707 resources, through oauth4webapi).
 * - Resource side: {@link createVerifier} (RFC 9068 JWT access tokens, RFC 8725 rules).
 * - Errors: {@link GatehouseError}, {@link isGatehouseError}, {@link wwwAuthenticate} (RFC 6750 §3).
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
export { createVerifier } from "./verifier/index.js";
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
export { createTokenSource } from "./client/token-source.js";
export { DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE } from "./client/types.js";
export type {
  AuthFetchInit,
  ClientAuthentication,
  RetryOptions,
  TokenRequest,
  TokenSource,
  TokenSourceOptions,
  TokenSourceStats,
} from "./client/types.js";
export { requireService, type GatehouseState, type KoaContextLike, type KoaMiddlewareLike } from "./middleware/koa.js";
export { authenticateRequest } from "./middleware/node-http.js";
export type { RequireServiceOptions } from "./middleware/authenticate.js";
export type { ServicePolicy } from "./middleware/policy.js";
