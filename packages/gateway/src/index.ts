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
export { createGateway, type Gateway, type GatewayDeps } from "./server.js";
