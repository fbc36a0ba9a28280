#!/usr/bin/env node
import { parseArgs } from "node:util";
import { EXIT_CODES, exitCodeFor, packageVersion } from "@gatehouse/service-kit";
import { caGenerate, caRotate, DEFAULT_CA_ROTATION_DELAY_SECONDS, longestCertificateLifetime } from "./cli/ca.js";
import { configCheck } from "./cli/config-check.js";
import { DEFAULT_RETIRE_AFTER_SECONDS, DEFAULT_ROTATION_DELAY_SECONDS, keysGenerate, keysRotate, longestTokenLifetime } from "./cli/keys.js";
import { loadAuthServerConfig } from "./config/load.js";
import { listRevocations, revoke } from "./cli/revoke.js";
import { serviceKeygen } from "./cli/service-keygen.js";
import { USAGE, UsageError, type CommandOutput } from "./cli/usage.js";
import { runAuthServer } from "./start.js";

const out: CommandOutput = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > 31_536_000) throw new UsageError(`--${name} must be a number of seconds, got ${JSON.stringify(value)}`);
  return Number(value);
}

function options<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], spec: T, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  return parsed;
}

function keyFileOf(configFile: string): string {
  const file = loadAuthServerConfig(configFile).keys.file;
  if (file === undefined) throw new UsageError(`${configFile} has no keys.file; pass --file`);
  return file;
}

function required(name: string, value: string | boolean | undefined): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

async function run(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case "serve":
      await runAuthServer(argv.slice(1), process.env);
      return;
    case "keys": {
      if (sub === "generate") {
        const { values } = options(rest, { file: { type: "string" }, force: { type: "boolean" } }, 0);
        keysGenerate(required("file", values.file), values.force === true, out);
        return;
      }
      if (sub === "rotate") {
        const { values } = options(rest, { file: { type: "string" }, config: { type: "string" }, delay: { type: "string" }, "retire-after": { type: "string" } }, 0);
        const fromConfig = values.config === undefined ? DEFAULT_RETIRE_AFTER_SECONDS : longestTokenLifetime(loadAuthServerConfig(values.config));
        keysRotate(
          values.file ?? (values.config === undefined ? required("file", values.file) : keyFileOf(values.config)),
          seconds("delay", values.delay, DEFAULT_ROTATION_DELAY_SECONDS),
          seconds("retire-after", values["retire-after"], fromConfig),
          out,
        );
        return;
      }
      throw new UsageError(`unknown command: keys ${sub ?? ""}`.trim());
    }
    case "ca": {
      if (sub === "generate") {
        const { values } = options(rest, { file: { type: "string" }, "trust-domain": { type: "string" }, force: { type: "boolean" } }, 0);
        await caGenerate(required("file", values.file), required("trust-domain", values["trust-domain"]), values.force === true, out);
        return;
      }
      if (sub === "rotate") {
        const { values } = options(
          rest,
          { file: { type: "string" }, config: { type: "string" }, "trust-domain": { type: "string" }, delay: { type: "string" }, "retire-after": { type: "string" } },
          0,
        );
        const config = values.config === undefined ? undefined : loadAuthServerConfig(values.config);
        const file = values.file ?? config?.ca.file ?? required("file", values.file);
        const retireAfter = config === undefined ? 3660 : longestCertificateLifetime(config);
        await caRotate(
          file,
          values["trust-domain"] ?? config?.trustDomain ?? required("trust-domain", values["trust-domain"]),
          seconds("delay", values.delay, DEFAULT_CA_ROTATION_DELAY_SECONDS),
          seconds("retire-after", values["retire-after"], retireAfter),
          out,
        );
        return;
      }
      throw new UsageError(`unknown command: ca ${sub ?? ""}`.trim());
    }
    case "service": {
      if (sub !== "keygen") throw new UsageError(`unknown command: service ${sub ?? ""}`.trim());
      const { values, positionals } = options(rest, { out: { type: "string" } }, 1);
      serviceKeygen(positionals[0] ?? "", values.out ?? ".", out);
      return;
    }
    case "config": {
      if (sub !== "check") throw new UsageError(`unknown command: config ${sub ?? ""}`.trim());
      const { positionals } = options(rest, {}, 1);
      configCheck(positionals[0] ?? "", process.env, out);
      return;
    }
    case "revoke": {
      const { values } = options(argv.slice(1), { url: { type: "string" }, service: { type: "string" }, jti: { type: "string" }, kid: { type: "string" }, reason: { type: "string" } }, 0);
      await revoke(required("url", values.url), { service: values.service, jti: values.jti, kid: values.kid, reason: values.reason }, process.env, out);
      return;
    }
    case "revocations": {
      const { values } = options(argv.slice(1), { url: { type: "string" } }, 0);
      await listRevocations(required("url", values.url), process.env, out);
      return;
    }
    case "help":
    case "--help":
    case "-h":
      out.stdout(USAGE);
      return;
    case "--version":
      out.stdout(`gatehouse-auth ${packageVersion(import.meta.url)}`);
      return;
    default:
      throw new UsageError(command === undefined ? "a command is required" : `unknown command: ${command}`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    out.stderr(`gatehouse-auth: ${message}\n\n${USAGE}`);
    process.exit(EXIT_CODES.usage);
  }
  out.stderr(`gatehouse-auth: ${message}`);
  process.exit(exitCodeFor(error));
}
