// `pnpm start`'s stack, run for real (built services as child processes, embedded defaults), and the
// walkthrough it prints executed command for command, as a newcomer would paste it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource } from "@gatehouse/sdk";
import { startDevStack, type DevStack } from "./helpers/dev-stack.js";

const root = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

let stack: DevStack | undefined;
let output = "";
let stateDir: string;
let ports: DevStack["ports"];

beforeAll(async () => {
  stack = await startDevStack();
  ({ stateDir, ports } = stack);
  output = stack.output();
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

/** The printed walkthrough as one bash script, each `# N.` comment turned into a step marker. */
function walkthroughScript(): string {
  const start = output.indexOf("Try it from another terminal");
  const end = output.indexOf("Ctrl-C stops everything.");
  return output
    .slice(start, end)
    .split("\n")
    .slice(1)
    .map((line) => {
      const step = /^\s*# (\d+)\./.exec(line);
      return step ? `echo "::step ${step[1]}"` : line;
    })
    .join("\n");
}

describe("pnpm start", () => {
  let steps: Map<string, string>;

  beforeAll(async () => {
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", walkthroughScript()], { cwd: root, timeout: 30_000 });
    steps = new Map(stdout.split("::step ").slice(1).map((chunk) => [chunk.slice(0, chunk.indexOf("\n")), chunk.slice(chunk.indexOf("\n") + 1)]));
  }, 40_000);

  it("prints the walkthrough with every URL on the ports it was given", () => {
    expect(output).toContain(`gateway      http://127.0.0.1:${ports.GATEWAY_PORT}`);
    expect(output).toContain("in-memory stores");
    expect(output).toContain(`console      http://127.0.0.1:${ports.CONSOLE_PORT}`);
    expect([...steps.keys()]).toEqual(["1", "2", "3", "4", "5", "6", "7"]);
  });

  it("step 2: a demo-cli token reaches orders, and orders reaches inventory through the gateway", () => {
    const body = JSON.parse(steps.get("2")!) as Record<string, unknown>;
    expect(body).toEqual({
      order: { id: "42", sku: "widget", quantity: 2, status: "placed" },
      inventory: { item: { sku: "widget", name: "Widget", onHand: 100, reserved: 0 }, servedTo: "orders" },
      requestedBy: "demo-cli",
    });
  });

  it("step 3: no token is a 401 invalid_token challenge", () => {
    const response = steps.get("3")!;
    expect(response).toMatch(/^HTTP\/1\.1 401 /);
    expect(response).toMatch(/\r\nwww-authenticate: Bearer realm="gatehouse"/i);
  });

  it("step 4: a token without orders:write is a 403 insufficient_scope", () => {
    const response = steps.get("4")!;
    expect(response).toMatch(/^HTTP\/1\.1 403 /);
    expect(response).toMatch(/\r\nwww-authenticate: Bearer realm="gatehouse", error="insufficient_scope"/i);
  });

  it("step 5: the eleventh call in a minute is refused with 429", () => {
    expect(steps.get("5")!.trim().split(" ")).toEqual([...Array<string>(9).fill("200"), "429", "429", "429"]);
  });

  it("step 7: the console raised the failed-authentication burst of step 6 and prints the page's link", () => {
    const lines = steps.get("7")!.trim().split("\n");
    expect(lines.some((line) => /^5 failed authentications from 127\.0\.0\.1 in \d+ s \(claiming demo-cli\)$/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^open http://127\\.0\\.0\\.1:${String(ports.CONSOLE_PORT)}/#token=[A-Za-z0-9_-]{43}$`));
  });
});

describe("the auth server through the gateway", () => {
  const gateway = () => `http://127.0.0.1:${ports.GATEWAY_PORT}`;

  it("publishes its discovery documents and JWKS", async () => {
    for (const path of ["/oauth/.well-known/oauth-authorization-server", "/oauth/.well-known/openid-configuration", "/oauth/jwks"]) {
      const response = await fetch(`${gateway()}${path}`);
      expect(response.status, path).toBe(200);
      expect(await response.json(), path).toBeTypeOf("object");
    }
  });

  it("publishes nothing else of it: other provider paths and admin paths are the gateway's own 404", async () => {
    const paths = [
      "/oauth/reg",
      "/oauth/auth",
      "/oauth/session/end",
      "/oauth/introspection",
      "/oauth/admin/services",
      "/oauth/metrics",
      "/oauth/healthz",
      "/oauth",
      "/admin/services",
    ];
    for (const path of paths) {
      for (const method of ["GET", "POST"]) {
        const response = await fetch(`${gateway()}${path}`, { method, body: method === "POST" ? "grant_type=client_credentials" : null });
        const body = (await response.json()) as Record<string, unknown>;
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
        expect(body, `${method} ${path}`).toMatchObject({ error: "not_found", error_description: "no route matches this path" });
      }
    }
    // Below the token route's prefix the gateway forwards to the auth server's /token/…, which serves nothing there.
    const below = await fetch(`${gateway()}/oauth/token/introspection`, { method: "POST", body: "token=x" });
    expect(below.status).toBe(404);
    expect(await below.json()).toMatchObject({ error: "not_found" });
  });
});

describe("defence in depth", () => {
  it("a backend called directly, past the gateway, still verifies the audience of the token", async () => {
    const credentials = JSON.parse(readFileSync(join(stateDir, "dev", "credentials", "demo-cli.json"), "utf8")) as { clientSecret: string };
    const tokens = createTokenSource({
      issuer: `http://127.0.0.1:${ports.AUTH_PORT}`,
      clientId: "demo-cli",
      auth: { method: "client_secret_basic", clientSecret: credentials.clientSecret },
    });
    try {
      const ordersToken = await tokens.getToken({ resource: "https://orders.internal", scopes: ["orders:read"] });
      const direct = await fetch(`http://127.0.0.1:${ports.INVENTORY_PORT}/api/inventory/items/widget`, {
        headers: { authorization: `Bearer ${ordersToken}`, "x-gatehouse-service": "orders" },
      });
      expect(direct.status).toBe(401);
      expect(direct.headers.get("www-authenticate")).toMatch(/^Bearer realm="https:\/\/inventory\.internal", error="invalid_token"/);
      expect(await direct.json()).toMatchObject({ error: "invalid_token" });
    } finally {
      tokens.close();
    }
  });

  it("stops every process it started on SIGTERM", async () => {
    expect(await stack!.stop()).toBe(0);
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    }
  });
});
