// The README's two examples compile against the SDK's real API (strict TypeScript, as a service would write them).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";
import { README } from "./docs/options-tables.js";

const root = fileURLToPath(new URL("../", import.meta.url));

function examples(): string[] {
  const readme = readFileSync(README, "utf8");
  return ["## Calling a service", "## Protecting a Koa route"].map((heading) => {
    const section = readme.slice(readme.indexOf(heading));
    const match = /```ts\n([\s\S]*?)```/.exec(section);
    if (match === null) throw new Error(`no ts example under ${heading}`);
    return match[1] ?? "";
  });
}

it("has two five-line examples that type-check against the SDK", () => {
  const sources = examples();
  expect(sources.map((source) => source.trimEnd().split("\n").length)).toEqual([5, 5]);
  // Virtual files at the package root, importing the SDK's sources in place of the published name.
  const files = new Map(sources.map((source, i) => [`${root}readme-example-${i}.ts`, source.replaceAll('"@gatehouse/sdk"', '"./src/index.js"')]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, language, ...rest) : ts.createSourceFile(name, text, language, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.has(diagnostic.file.fileName))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  expect(diagnostics).toEqual([]);
});
