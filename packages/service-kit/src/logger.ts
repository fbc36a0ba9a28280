import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * The JSON logger every Gatehouse process uses. Credentials never reach a log line: anything
 * that could hold one is redacted by path, whatever the caller passes.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino({
    name,
    level: process.env["LOG_LEVEL"] ?? "info",
    base: { service: name, pid: process.pid },
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
  });
}
