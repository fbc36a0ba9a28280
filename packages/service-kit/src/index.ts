export { ConfigError, type ConfigProblem } from "./config/config-error.js";
export { loadConfigFile, parseConfig, validateConfig } from "./config/load-config.js";
export { deepFreeze } from "./config/deep-freeze.js";
export {
  optionRows,
  renderOptionsTable,
  replaceOptionsSection,
  readmeOptionsSection,
  OPTIONS_BEGIN,
  OPTIONS_END,
  type OptionRow,
} from "./config/options-table.js";
export {
  parseStartFlags,
  parsePort,
  parseWorkers,
  StartFlagError,
  type StartFlags,
  type StartFlagSpec,
} from "./start/start-flags.js";
export { runWorkers, type RunWorkersOptions } from "./start/run-workers.js";
export { createLogger, type Logger } from "./logger.js";
export {
  createRedisClient,
  waitForRedis,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  type RedisClientOptions,
} from "./redis/create-redis-client.js";
export { parseRedisUrl, redisTargetFromEnv, describeRedisTarget, formatRedisUrl, type RedisTarget } from "./redis/redis-url.js";
