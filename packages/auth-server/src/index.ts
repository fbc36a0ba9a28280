export { createAuthServer, type AuthServer, type AuthServerDeps, type ListeningAddress } from "./server.js";
export { loadAuthServerConfig, parseAuthServerConfig } from "./config/load.js";
export {
  authServerConfigSchema,
  serviceSchema,
  type AuthServerConfig,
  type ServiceDefinition,
  type ClientAuth,
  type PublicJwks,
} from "./config/schema.js";
export { ATTRIBUTES_CLAIM } from "./provider/token-claims.js";
export { AuthServerError, isAuthServerError, ERROR_CODES, OAUTH_ERRORS, type AuthServerErrorCode } from "./errors.js";
