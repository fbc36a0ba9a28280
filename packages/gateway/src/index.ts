/**
 * `@gatehouse/gateway`: the API gateway of the service estate. Start it with
 * `node packages/gateway/dist/main.js --config FILE`, or embed it with {@link createGateway}.
 *
 * The request path (see `server.ts`): error handler → request id → canonical path + route match →
 * authenticate (RFC 6750, the SDK verifier) → authorize (route policy) → rate limit (GCRA in
 * Redis, draft-ietf-httpapi-ratelimit-headers-09 fields) → proxy (undici).
 *
 * @module
 */
export { createGateway, type Gateway, type GatewayDeps } from "./server.js";
export { loadGatewayConfig, parseGatewayConfig, CONFIG_ENV_OVERRIDES } from "./config/load.js";
export {
  gatewayConfigSchema,
  HTTP_METHODS,
  type GatewayConfig,
  type GatewayConfigInput,
  type RouteConfig,
} from "./config/schema.js";
export {
  GatewayError,
  isGatewayError,
  GATEWAY_ERROR_CODES,
  GATEWAY_ERROR_STATUS,
  type GatewayErrorCode,
} from "./errors.js";
export { canonicalizeTarget, type CanonicalTarget } from "./routes/canonical-path.js";
