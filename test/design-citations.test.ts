// The project carries its own design: code and docs cite decisions and targets in docs/ (architecture.md's
// "Decisions", performance-targets.md), never a design document outside the repository, and every citation of a
// docs/ file or section points at something that exists.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".gatehouse", "coverage", "results"]);
const TEXT_FILE = /\.(ts|js|mjs|cjs|md|ya?ml|json|sh|py|lua)$|^Dockerfile|(^|\/)\.ci\/run$/;

/** Every text file of the repository that people or tools read, relative to the root. */
function repositoryFiles(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) files.push(...repositoryFiles(path));
    } else if (TEXT_FILE.test(relative(ROOT, path)) && entry.name !== "pnpm-lock.yaml") {
      files.push(relative(ROOT, path));
    }
  }
  return files;
}

/** GitHub's anchor for a Markdown heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function headingsOf(docsFile: string): string[] {
  return readFileSync(join(ROOT, "docs", docsFile), "utf8")
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#{1,6} /, "").trim());
}

// Ways of citing a design that lives outside the repository: the outside note's name and section sign, its file,
// its folder, or calling it a design card, note or document.
const OUTSIDE_DESIGN = [
  /\bDESIGN\b(?!_)/,
  /DESIGN\.md/i,
  /\/work\/shared\b/,
  /\bdesign (card|note|doc|document)s?\b/i,
];

const files = repositoryFiles().filter((file) => file !== SELF);
const docsFiles = new Set(readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")));

describe("the project carries its own design", () => {
  it("finds the files it checks (the walk covers code, docs and benchmarks)", () => {
    expect(files).toEqual(expect.arrayContaining(["docs/architecture.md", "docs/performance-targets.md", "packages/gateway/src/server.ts", "bench/README.md"]));
  });

  it("no code or doc cites a design document outside the repository", () => {
    const offending = files.flatMap((file) =>
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        .flatMap((line, index) => (OUTSIDE_DESIGN.some((pattern) => pattern.test(line)) ? [`${file}:${String(index + 1)}: ${line.trim()}`] : [])),
    );
    expect(offending, "cite docs/architecture.md (Decisions) or docs/performance-targets.md instead").toEqual([]);
  });

  it("every citation of a docs/ file names an existing file, and every cited section or anchor exists", () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), "utf8");
      // docs/NAME.md, docs/NAME.md#anchor, or docs/NAME.md, "Section" [and "Section"]
      for (const match of text.matchAll(/docs\/([\w-]+\.md)(?:#([\w-]+)|((?:,? (?:and )?"[^"\n]+")+))?/g)) {
        const [cited, name = "", anchor, sections] = match;
        if (!docsFiles.has(name)) {
          broken.push(`${file}: ${cited} (no such file)`);
          continue;
        }
        const headings = headingsOf(name);
        if (anchor !== undefined && !headings.some((h) => slug(h) === anchor)) broken.push(`${file}: ${cited} (no such anchor)`);
        for (const section of sections?.matchAll(/"([^"]+)"/g) ?? []) {
          if (!headings.includes(section[1] ?? "")) broken.push(`${file}: ${cited} (no section "${section[1] ?? ""}")`);
        }
      }
      // Relative links between docs: [text](NAME.md#anchor)
      if (file.startsWith("docs/")) {
        for (const match of text.matchAll(/\]\(([\w-]+\.md)#([\w-]+)\)/g)) {
          const [cited, name = "", anchor = ""] = match;
          if (!docsFiles.has(name) || !headingsOf(name).some((h) => slug(h) === anchor)) broken.push(`${file}: ${cited}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
