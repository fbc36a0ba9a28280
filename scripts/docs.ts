// `pnpm run docs`: rewrites every generated table of the repository from its source of truth (the
// config schemas of the services, the SDK's option interfaces). Needs only the built packages, no
// Redis and no test run. The READMEs' tests fail when a table is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { authServerConfigSchema } from "@gatehouse/auth-server";
import { consoleConfigSchema } from "@gatehouse/console";
import { gatewayConfigSchema } from "@gatehouse/gateway";
import { writeReadmeOptions } from "@gatehouse/service-kit/docs";
import { README as SDK_README, renderReadme } from "../packages/sdk/test/docs/options-tables.ts";

const readme = (pkg: string) => fileURLToPath(new URL(`../packages/${pkg}/README.md`, import.meta.url));

const results: [string, boolean][] = [
  ["packages/auth-server/README.md", writeReadmeOptions(readme("auth-server"), authServerConfigSchema)],
  ["packages/gateway/README.md", writeReadmeOptions(readme("gateway"), gatewayConfigSchema)],
  ["packages/console/README.md", writeReadmeOptions(readme("console"), consoleConfigSchema)],
];
const sdkBefore = readFileSync(SDK_README, "utf8");
const sdkAfter = renderReadme(sdkBefore);
if (sdkAfter !== sdkBefore) writeFileSync(SDK_README, sdkAfter);
results.push(["packages/sdk/README.md", sdkAfter !== sdkBefore]);

for (const [file, rewritten] of results) process.stdout.write(`${file}: ${rewritten ? "rewritten" : "up to date"}\n`);
