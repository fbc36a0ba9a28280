import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { EXIT_CODES, exitCodeFor } from "./exit-codes.js";
import { parseStartFlags, type StartFlags, type StartFlagSpec } from "./start-flags.js";

/** What a service binary is, for {@link runService}. */
export interface ServiceBinary {
  /** The command name operators type (`gatehouse-gateway`), printed by `--version`. */
  readonly command: string;
  /** The name in log lines and messages (`gateway`: "gateway not started: …"). */
  readonly name: string;
  /** The package version (see {@link packageVersion}). */
  readonly version: string;
  /** The `--help` text. */
  readonly usage: string;
  readonly logger: Logger;
  /** Which start flags the service takes besides the common ones. */
  readonly flags?: StartFlagSpec;
  /** Checks what the flags and the config say, then starts; throws a coded error to refuse. */
  readonly start: (flags: StartFlags) => Promise<void>;
}

/**
 * The start of every Gatehouse service binary, written once: `--help` prints the usage and
 * `--version` `<command> <version>` to stdout (exit 0); any refusal (a bad flag, a bad config, an
 * unreachable dependency) is one `fatal` log line `<name> not started: <message>` with the error's
 * `code`, and the exit code {@link exitCodeFor} assigns (64, 78, 69, else 1).
 */
export async function runService(binary: ServiceBinary, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const flags = parseStartFlags(argv, env, binary.flags);
    if (flags.help) {
      process.stdout.write(binary.usage.endsWith("\n") ? binary.usage : `${binary.usage}\n`);
      return;
    }
    if (flags.version) {
      process.stdout.write(`${binary.command} ${binary.version}\n`);
      return;
    }
    await binary.start(flags);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    binary.logger.fatal(
      { code: typeof code === "string" ? code : undefined, problems: (error as { problems?: unknown } | null)?.problems },
      `${binary.name} not started: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = exitCodeFor(error);
  }
}

/** The `version` of the package.json next to a module's folder (`dist/main.js` or `src/main.ts` → `package.json`). */
export function packageVersion(moduleUrl: string): string {
  const json = JSON.parse(readFileSync(new URL("../package.json", moduleUrl), "utf8")) as { version?: unknown };
  return typeof json.version === "string" ? json.version : "0.0.0";
}

export { EXIT_CODES };
