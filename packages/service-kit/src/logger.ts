import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { DEFAULT_LOG_BUFFER_BYTES, MIN_LOG_BUFFER_BYTES, rejectedLogBufferSetting, stdoutDestination } from "./log/stdout.js";

export type { Logger } from "pino";

/** Log keys redacted by path on every line of a {@link createLogger} logger. */
export const REDACTED_PATHS: readonly string[] = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "client_secret",
  "*.client_secret",
  "client_assertion",
  "*.client_assertion",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "password",
  "*.password",
];

/**
 * The JSON logger every Gatehouse process uses. Credentials never reach a log line: anything
 * that could hold one is redacted by path, whatever the caller passes. Lines go to stdout, buffered and written
 * asynchronously in batches (see `log/buffered-destination.ts`: bounded buffer, counted drops, one line per drop
 * episode), unless a `destination` is given (tests capture them that way).
 */
export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name,
    level: process.env["LOG_LEVEL"] ?? "info",
    // `name` says which process wrote the line; `service` stays free for the calling service
    // (the gateway's access log), so no line carries the same key twice.
    base: { pid: process.pid },
    redact: {
      paths: [...REDACTED_PATHS],
      censor: "[redacted]",
    },
    ...options,
  };
  if (destination !== undefined) return pino(settings, destination);
  const stdout = stdoutDestination();
  const logger = pino(settings, stdout);
  if (stdout.onDropEpisode === undefined) {
    // The first logger of the process reports drops; the line goes out once the buffer has drained.
    stdout.onDropEpisode = (episode) => {
      logger.warn(
        { droppedLines: episode.droppedLines, droppedBytes: episode.droppedBytes, since: new Date(episode.since).toISOString() },
        "log lines dropped: stdout did not keep up and the log buffer was full",
      );
    };
  }
  const rejected = rejectedLogBufferSetting();
  if (rejected !== undefined) {
    logger.warn(
      { setting: "LOG_BUFFER_BYTES", value: rejected, used: DEFAULT_LOG_BUFFER_BYTES },
      `LOG_BUFFER_BYTES must be an integer of at least ${String(MIN_LOG_BUFFER_BYTES)}; using the default`,
    );
  }
  return logger;
}

/**
 * A child of `logger` for lines whose keys are fixed in code (the gateway's access log). Redaction by path costs about
 * 8 µs a line (measured: 9.4 µs against 1.3 µs a line) and cannot match such a line, so the child skips it. It throws
 * when one of `keys` is a key, or a parent of a key, that {@link REDACTED_PATHS} names: "credentials never reach a log
 * line" then still holds by construction, as long as the caller logs only those keys with plain values.
 */
export function fixedKeysLogger(logger: Logger, keys: readonly string[]): Logger {
  const named = new Set(REDACTED_PATHS.flatMap((path) => path.split(".")).filter((segment) => segment !== "*"));
  const clashes = keys.filter((key) => named.has(key));
  if (clashes.length > 0) throw new Error(`fixedKeysLogger: ${clashes.join(", ")} would need redaction`);
  return logger.child({}, { redact: [] });
}
