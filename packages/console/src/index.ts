/**
 * `@gatehouse/console`: the security console. Start it with
 * `node packages/console/dist/main.js --config FILE`, or embed it with {@link createConsole}.
 *
 * It follows the `gatehouse:events` Redis stream every component writes to, keeps per-edge
 * (caller → route) baselines, raises anomalies as events of the same schema and serves a live
 * page with its JSON API.
 *
 * @module
 */
export { createConsole, type ConsoleDeps, type SecurityConsole } from "./server.js";
export { loadConsoleConfig, parseConsoleConfig } from "./config/load.js";
export { consoleConfigSchema, RESPONSES, type AnomalyKind, type ConsoleConfig, type ConsoleConfigInput, type ResponseAction } from "./config/schema.js";
export { CONSOLE_ERROR_CODES, CONSOLE_ERROR_STATUS, ConsoleError, isConsoleError, type ConsoleErrorCode } from "./errors.js";
export { AnomalyDetector } from "./detect/anomaly-detector.js";
export type { Finding } from "./detect/finding.js";
export type { Anomaly, ResponseOutcome } from "./state/anomaly-log.js";
export type { GraphEdge, GraphNode, GraphSnapshot } from "./state/call-graph.js";
export type { StreamEvent } from "./stream/parse-entry.js";
