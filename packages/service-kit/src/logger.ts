import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * The JSON logger every Gatehouse process uses. Credentials never reach a log line: anything
 * that could hold one is redacted by path, whatever the caller passes. Lines go to stdout unless
 * a `destination` is given (tests capture them that way).
 */
export function createLogger(name: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name,
    level: process.env["LOG_LEVEL"] ?? "info",
    // `name` says which process wrote the line; `service` stays free for the calling service
    // (the gateway's access log), so no line carries the same key twice.
    base: { pid: process.pid },
    redact: {
      paths: [
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
      ],
      censor: "[redacted]",
    },
    ...options,
  };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}
