import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";

// Documentation tooling, kept out of the runtime entry point: import it as `@gatehouse/service-kit/docs`.

/** One documented option: the dotted path an operator writes, its type, default and meaning. */
export interface OptionRow {
  readonly path: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

type JsonSchema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  minimum?: number;
  maximum?: number;
};

/**
 * Lists every option of a config schema, depth first, from the schema's own descriptions:
 * the source of truth for each package README's configuration table.
 */
export function optionRows(schema: z.ZodType): OptionRow[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const rows: OptionRow[] = [];
  walk(json, "", rows);
  return rows;
}

function walk(node: JsonSchema, path: string, rows: OptionRow[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = path === "" ? key : `${path}.${key}`;
    const optional = !(node.required ?? []).includes(key) || child.default !== undefined;
    rows.push({
      path: childPath,
      type: typeName(child) + (optional ? "" : " (required)"),
      default: child.default === undefined ? "" : JSON.stringify(child.default),
      description: child.description ?? "",
    });
    descend(child, childPath, rows);
  }
}

function descend(node: JsonSchema, path: string, rows: OptionRow[]): void {
  for (const variant of node.anyOf ?? node.oneOf ?? []) {
    if (variant.properties) walk(variant, path, rows);
  }
  if (node.properties) walk(node, path, rows);
  if (node.items) descend(node.items, `${path}[]`, rows);
  if (typeof node.additionalProperties === "object") descend(node.additionalProperties, `${path}.<name>`, rows);
}

function typeName(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (node.const !== undefined) return JSON.stringify(node.const);
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return [...new Set(variants.map(typeName))].join(" \\| ");
  if (node.type === "array") return `${node.items ? typeName(node.items) : "value"}[]`;
  if (node.type === "object") return node.properties ? "object" : "map";
  if (Array.isArray(node.type)) return node.type.join(" \\| ");
  return node.type ?? "value";
}

/** Renders {@link optionRows} as the Markdown table that READMEs embed between markers. */
export function renderOptionsTable(schema: z.ZodType): string {
  const lines = ["| option | type | default | description |", "| --- | --- | --- | --- |"];
  for (const row of optionRows(schema)) {
    const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
    lines.push(`| \`${row.path}\` | ${row.type} | ${row.default === "" ? "" : `\`${cell(row.default)}\``} | ${cell(row.description)} |`);
  }
  return lines.join("\n");
}

/** The README section that a generated table lives in, between these two markers. */
export const OPTIONS_BEGIN = "<!-- options:begin (generated from the schema; `pnpm run docs` rewrites it) -->";
export const OPTIONS_END = "<!-- options:end -->";

/** Returns `readme` with the text between the markers replaced by `table`. */
export function replaceOptionsSection(readme: string, table: string): string {
  const start = readme.indexOf(OPTIONS_BEGIN);
  const stop = readme.indexOf(OPTIONS_END);
  if (start < 0 || stop < start) throw new Error(`README has no ${OPTIONS_BEGIN} … ${OPTIONS_END} section`);
  return `${readme.slice(0, start + OPTIONS_BEGIN.length)}\n${table}\n${readme.slice(stop)}`;
}

/** A README as it is and as it should be with the options table rendered from `schema`, for the test that keeps the two equal. */
export function readmeOptionsSection(readmeFile: string, schema: z.ZodType): { actual: string; expected: string } {
  const actual = readFileSync(readmeFile, "utf8");
  return { actual, expected: replaceOptionsSection(actual, renderOptionsTable(schema)) };
}

/** Rewrites a README's options table from `schema` (`pnpm run docs`); returns whether it was stale. */
export function writeReadmeOptions(readmeFile: string, schema: z.ZodType): boolean {
  const { actual, expected } = readmeOptionsSection(readmeFile, schema);
  if (actual !== expected) writeFileSync(readmeFile, expected);
  return actual !== expected;
}
