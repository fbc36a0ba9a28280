// Vitest globalSetup of this package: the start tests run the built `dist/main.js` as child
// processes, so the package is built (incrementally) before they start.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-b", "packages/gateway"], { cwd: root, stdio: "inherit" });
}
