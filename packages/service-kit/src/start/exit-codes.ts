/**
 * The exit codes of every Gatehouse binary (the services and the `gatehouse-auth` CLI), from BSD's
 * `sysexits.h` where one fits, so scripts and supervisors can tell a typo from an outage.
 * docs/operations.md ("Operator contract") lists them; a test compares.
 */
export const EXIT_CODES = {
  /** Stopped cleanly (SIGTERM/SIGINT drained), or `--help` / `--version` printed. */
  ok: 0,
  /** An unexpected error, or a graceful stop that did not finish in time. */
  failure: 1,
  /** EX_USAGE: an unknown flag, a bad flag or variable value, a missing `--config`, an unknown command. */
  usage: 64,
  /** EX_UNAVAILABLE: something the start needs did not answer or could not be had (Redis, the port). */
  unavailable: 69,
  /** EX_SOFTWARE: workers kept crashing (the crash-loop cap of `runWorkers`); the primary gave up. */
  crashLoop: 70,
  /** EX_CONFIG: the config file (or a file or secret it names) is missing, unreadable or invalid. */
  config: 78,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

const BY_ERROR_CODE: Readonly<Record<string, ExitCode>> = {
  invalid_start_flag: EXIT_CODES.usage,
  usage: EXIT_CODES.usage,
  invalid_config: EXIT_CODES.config,
  missing_secret: EXIT_CODES.config,
  invalid_key_file: EXIT_CODES.config,
  service_unavailable: EXIT_CODES.unavailable,
  EADDRINUSE: EXIT_CODES.unavailable,
  EADDRNOTAVAIL: EXIT_CODES.unavailable,
  EACCES: EXIT_CODES.unavailable,
};

/** The exit code for an error that stopped a start, by its `code` (1 for anything unforeseen). */
export function exitCodeFor(error: unknown): ExitCode {
  const code = (error as { code?: unknown } | null)?.code;
  return (typeof code === "string" ? BY_ERROR_CODE[code] : undefined) ?? EXIT_CODES.failure;
}
