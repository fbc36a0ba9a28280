export { ConfigError, type ConfigProblem } from "./config/config-error.js";
export { loadConfigFile, parseConfig, validateConfig } from "./config/load-config.js";
export { deepFreeze } from "./config/deep-freeze.js";
export {
  parseStartFlags,
  parsePort,
  parseWorkers,
  StartFlagError,
  type StartFlags,
  type StartFlagSpec,
} from "./start/start-flags.js";
export { runWorkers, CRASH_LOOP_MAX_EXITS, CRASH_LOOP_WINDOW_MS, type RunWorkersOptions } from "./start/run-workers.js";
export { runService, packageVersion, type ServiceBinary } from "./start/run-service.js";
export { EXIT_CODES, exitCodeFor, type ExitCode } from "./start/exit-codes.js";
export {
  createHttpServer,
  createHttpsServer,
  listen,
  closeServer,
  connectionErrorLogger,
  listenerSchema,
  listenerFields,
  listenerTimeoutsRule,
  LISTENER_DESCRIPTION,
  CONNECTION_CHECK_INTERVAL_MS,
  KEEP_ALIVE_TIMEOUT_BUFFER_MS,
  type ListenerTimeouts,
} from "./http/listener.js";
export {
  liveness,
  readiness,
  HEALTH_HEADERS,
  READINESS_CHECK_TIMEOUT_MS,
  type LivenessBody,
  type ReadinessBody,
  type ReadinessCheck,
  type HealthAnswer,
} from "./http/health.js";
export { createLogger, fixedKeysLine, REDACTED_PATHS, type FixedKeysLine, type FixedLineValues, type Logger } from "./logger.js";
export {
  createRedisClient,
  waitForRedis,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  REDIS_CONNECT_TIMEOUT_MS,
  type RedisClientOptions,
} from "./redis/create-redis-client.js";
export { parseRedisUrl, redisTargetFromEnv, describeRedisTarget, formatRedisUrl, type RedisTarget } from "./redis/redis-url.js";
export { ClientAddressResolver, trustedProxySchema } from "./http/client-address.js";
export {
  DEFAULT_EVENT_STREAM,
  EVENT_NAMES,
  MAX_FIELD_LENGTH,
  SEVERITIES,
  securityEventSchema,
  type EventName,
  type SecurityEvent,
  type Severity,
} from "./events/schema.js";
export { EventPublisher, EVENT_FIELD, type DropReason, type EventInput, type EventPublisherOptions } from "./events/publisher.js";
export { eventsConfigSchema, type EventsConfig } from "./events/config.js";
export { flushLogs, logStats, DEFAULT_LOG_BUFFER_BYTES, LOG_FLUSH_TIMEOUT_MS } from "./log/stdout.js";
export { BufferedLogDestination, type LogDestinationStats, type DropEpisode } from "./log/buffered-destination.js";
export { registerProcessMetrics } from "./metrics/process-metrics.js";
export { warnIfHeapExceedsMemoryLimit, memoryLimitBytes, HEAP_SHARE_WARNING } from "./runtime/heap-limit.js";
export { gcraStep, GCRA_BATCH_LUA, KEY_GRACE_MS, type GcraState } from "./gcra/gcra.js";
export { MemoryRateLimitStore, DEFAULT_MEMORY_MAX_KEYS } from "./gcra/memory-store.js";
export { RedisRateLimitStore, MAX_BATCH } from "./gcra/redis-store.js";
export type { RateLimitDecision, RateLimitStore } from "./gcra/store.js";
