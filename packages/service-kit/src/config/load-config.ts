import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { deepFreeze } from "./deep-freeze.js";

/**
 * Reads a YAML or JSON file, validates it once against a strict schema and returns the frozen
 * result. Unknown keys, wrong types and missing fields all fail with a {@link ConfigError} naming
 * the file and the dotted path. JSON is valid YAML, so both go through one parser.
 */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "file cannot be read";
    throw new ConfigError(file, [{ path: "", message: reason }]);
  }
  return parseConfig(file, text, schema);
}

/** Like {@link loadConfigFile} for text already in memory; `source` names it in errors. */
export function parseConfig<S extends z.ZodType>(source: string, text: string, schema: S): z.output<S> {
  const ext = extname(source).toLowerCase();
  if (ext !== "" && ext !== ".yaml" && ext !== ".yml" && ext !== ".json") {
    throw new ConfigError(source, [{ path: "", message: `unsupported file type "${ext}" (use .yaml, .yml or .json)` }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: "", message: `not valid ${ext === ".json" ? "JSON" : "YAML"}: ${firstLine(e.message)}` })),
    );
  }
  return validateConfig(source, doc.toJS() as unknown, schema);
}

/** Validates an already parsed value (e.g. an admin API body) with the same error format. */
export function validateConfig<S extends z.ZodType>(source: string, value: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.flatMap(toProblems));
  }
  return deepFreeze(result.data);
}

function toProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: path === "" ? key : `${path}.${key}`,
      message: "unknown option (check the spelling against the documented options)",
    }));
  }
  return [{ path, message: issue.message }];
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
