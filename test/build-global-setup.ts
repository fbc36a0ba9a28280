// Vitest globalSetup for projects whose tests run built `dist/*.js` files as child processes
// (start flags, signals, workers, the dev stack): `tsc -b` the project's folder first, incrementally.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const repository = fileURLToPath(new URL("..", import.meta.url));

export default function setup(project: TestProject): void {
  execFileSync(process.execPath, [`${repository}node_modules/typescript/bin/tsc`, "-b", project.config.root], {
    cwd: repository,
    stdio: "inherit",
  });
}
