// The root README shows the walkthrough `pnpm start` prints; this keeps the two identical.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { walkthrough } from "../../scripts/dev-stack/walkthrough.ts";

const root = resolve(import.meta.dirname, "../..");

/** The shell lines of a walkthrough, without indentation and blank lines. */
const commands = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");

describe("README walkthrough", () => {
  it("is exactly what pnpm start prints on the default ports", () => {
    const readme = readFileSync(resolve(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Five minutes with curl"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const printed = walkthrough({
      ports: { auth: 4000, authAdmin: 4001, gateway: 8080, admin: 9090, orders: 7001, inventory: 7002, console: 9400 },
      issuer: "https://127.0.0.1:4000",
      cliSecretFile: ".gatehouse/dev/credentials/demo-cli.json",
      adminFile: ".gatehouse/dev/credentials/admin.json",
      trustBundleFile: ".gatehouse/dev/trust-bundle.pem",
      devDir: ".gatehouse/dev",
      redis: false,
    });
    const printedCommands = commands(printed.slice(printed.indexOf("# 1."), printed.indexOf("Ctrl-C stops everything.")));
    expect(commands(block)).toEqual(printedCommands);
  });
});
