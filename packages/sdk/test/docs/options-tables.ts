// Renders the README's option tables from the JSDoc of the public option interfaces (the source of truth), and
// rewrites the README when run directly: `node packages/sdk/test/docs/options-tables.ts`.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Each table: the README marker name, the interface, its file. */
export const TABLES = [
  { name: "createVerifier", interfaceName: "VerifierOptions", file: "src/verifier/types.ts", prefix: "" },
  { name: "jwks", interfaceName: "JwksOptions", file: "src/verifier/types.ts", prefix: "jwks." },
  { name: "revocation", interfaceName: "RevocationOptions", file: "src/revocation/types.ts", prefix: "revocation." },
  { name: "createTokenSource", interfaceName: "TokenSourceOptions", file: "src/client/types.ts", prefix: "" },
  { name: "retry", interfaceName: "RetryOptions", file: "src/client/types.ts", prefix: "retry." },
  { name: "requireService", interfaceName: "RequireServiceOptions", file: "src/middleware/authenticate.ts", prefix: "" },
  { name: "createServiceIdentity", interfaceName: "ServiceIdentityOptions", file: "src/identity/types.ts", prefix: "" },
  { name: "createServiceServer", interfaceName: "ServiceServerOptions", file: "src/identity/service-server.ts", prefix: "" },
] as const;

export const README = `${root}README.md`;

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ").trim();
}

/** `option | type | default | meaning` rows of one interface, inherited properties included, in declaration order. */
function renderTable(program: ts.Program, file: string, interfaceName: string, prefix: string): string {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(`${root}${file}`);
  if (source === undefined) throw new Error(`${file} is not part of the program`);
  let declaration: ts.InterfaceDeclaration | undefined;
  ts.forEachChild(source, (node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === interfaceName) declaration = node;
  });
  if (declaration === undefined) throw new Error(`${interfaceName} not found in ${file}`);
  const rows = ["| option | type | default | meaning |", "| --- | --- | --- | --- |"];
  for (const property of checker.getPropertiesOfType(checker.getTypeAtLocation(declaration))) {
    const node = property.valueDeclaration;
    if (node === undefined || !ts.isPropertySignature(node)) continue;
    const doc = ts.displayPartsToString(property.getDocumentationComment(checker));
    const match = /\s*Default:? (.+?)\.(?:\s|$)/.exec(doc);
    const meaning = match === null ? doc : doc.replace(match[0], " ");
    const type = node.type?.getText() ?? "unknown";
    const required = node.questionToken === undefined ? " (required)" : "";
    rows.push(
      `| \`${prefix}${property.name}\` | \`${escapeCell(type)}\`${required} | ${match === null ? "" : escapeCell(match[1] ?? "")} | ${escapeCell(meaning)} |`,
    );
  }
  return rows.join("\n");
}

/** The README with every table between its `<!-- OPTIONS_BEGIN name -->` / `<!-- OPTIONS_END name -->` markers. */
export function renderReadme(readme: string): string {
  const program = ts.createProgram(
    TABLES.map((table) => `${root}${table.file}`),
    { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true },
  );
  let text = readme;
  for (const table of TABLES) {
    const begin = `<!-- OPTIONS_BEGIN ${table.name} -->`;
    const end = `<!-- OPTIONS_END ${table.name} -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end);
    if (from === -1 || to < from) throw new Error(`README.md lacks the markers ${begin} … ${end}`);
    text = `${text.slice(0, from + begin.length)}\n${renderTable(program, table.file, table.interfaceName, table.prefix)}\n${text.slice(to)}`;
  }
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, renderReadme(readFileSync(README, "utf8")));
  console.log(`rewrote the option tables of ${README}`);
}
