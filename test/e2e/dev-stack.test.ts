// `pnpm start`'s stack, run for real (built services as child processes, embedded defaults), and the
// walkthrough it prints executed command for command, as a newcomer would paste it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { connect } from "node:tls";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    expect(output).toContain(`gateway      https://localhost:${ports.GATEWAY_PORT}`);
    expect(output).toContain("in-memory stores");
    expect(output).toContain(`console      http://127.0.0.1:${ports.CONSOLE_PORT}`);
    expect([...steps.keys()]).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
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

  it("step 5: the operator revokes demo-cli; its old token is refused 401 within a second, a new one works", () => {
    const [answer = "", ...rest] = steps.get("5")!.split("\n");
    expect(JSON.parse(answer)).toMatchObject({ kind: "service", value: "demo-cli", reason: "walkthrough" });
    const output = rest.join("\n");
    expect(output).toMatch(/^HTTP\/1\.1 401 /);
    expect(output).toMatch(/\r\nwww-authenticate: Bearer realm="gatehouse", error="invalid_token"/i);
    expect(output).toContain('{"error":"invalid_token"');
    const last = output.trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(last)).toMatchObject({ order: { id: "42" }, requestedBy: "demo-cli" });
  });

  it("step 6: a token bound to demo-cli's certificate works with that certificate and is refused 401 invalid_token without it", () => {
    const [withCertificate = "", ...rest] = steps.get("6")!.split("\n");
    expect(JSON.parse(withCertificate)).toMatchObject({ order: { id: "42" }, requestedBy: "demo-cli" });
    const without = rest.join("\n");
    expect(without).toMatch(/^HTTP\/1\.1 401 /);
    expect(without).toMatch(/\r\nwww-authenticate: Bearer realm="gatehouse", error="invalid_token", error_description="the token is certificate-bound; present its client certificate"/i);
    const certificate = readFileSync(join(stateDir, "dev", "demo-cli.crt"), "utf8");
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("step 7: the eleventh call in a minute is refused with 429", () => {
    // Three calls passed before: step 2's, step 5's with the new token and step 6's with the bound token (refusals are not counted).
    expect(steps.get("7")!.trim().split(" ")).toEqual([...Array<string>(7).fill("200"), ...Array<string>(5).fill("429")]);
  });

  it("step 9: the console raised the failed-authentication burst of step 8 and prints the page's link", () => {
    const lines = steps.get("9")!.trim().split("\n");
    expect(lines.some((line) => /^5 failed authentications from 127\.0\.0\.1 in \d+ s \(claiming demo-cli\)$/.test(line))).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^open http://127\\.0\\.0\\.1:${String(ports.CONSOLE_PORT)}/#token=\\S+$`));
  });
});

/** One HTTPS request trusting the stack's dev trust bundle (the gateway's listener). */
function httpsCall(url: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const ca = readFileSync(join(stateDir, "dev", "trust-bundle.pem"), "utf8");
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", ca, timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.once("timeout", () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.once("error", reject);
    req.end(init.body);
  });
}

/** What a TLS client gets from a demo backend: the handshake's error, or whether the server closed the connection unasked. */
function tlsAttempt(port: number, identity?: { cert: string; key: string }): Promise<string> {
  const ca = readFileSync(join(stateDir, "dev", "trust-bundle.pem"), "utf8");
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca, checkServerIdentity: () => undefined, ...identity });
    let settled = false;
    const settle = (outcome: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    socket.once("secureConnect", () => {
      // TLS 1.3: the server verifies the client certificate after the client's handshake is done; ask for a response.
      socket.write("GET /api/inventory/items/widget HTTP/1.1\r\nhost: inventory\r\n\r\n");
    });
    socket.once("data", () => settle("answered"));
    socket.once("error", (error: NodeJS.ErrnoException) => settle(`error ${error.code ?? error.message}`));
    socket.once("close", () => settle("closed"));
    setTimeout(() => settle("timeout"), 5000).unref();
  });
}

describe("the auth server through the gateway", () => {
  const gateway = () => `https://localhost:${ports.GATEWAY_PORT}`;

  it("publishes its discovery documents and JWKS", async () => {
    for (const path of ["/oauth/.well-known/oauth-authorization-server", "/oauth/.well-known/openid-configuration", "/oauth/jwks"]) {
      const response = await httpsCall(`${gateway()}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.body, path).toBeTypeOf("object");
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
        const response = await httpsCall(`${gateway()}${path}`, method === "POST" ? { method, body: "grant_type=client_credentials" } : { method });
        expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
        expect(response.body, `${method} ${path}`).toMatchObject({ error: "not_found", error_description: "no route matches this path" });
      }
    }
    // Below the token route's prefix the gateway forwards to the auth server's /token/…, which serves nothing there.
    const below = await httpsCall(`${gateway()}/oauth/token/introspection`, { method: "POST", body: "token=x" });
    expect(below.status).toBe(404);
    expect(below.body).toMatchObject({ error: "not_found" });
  });
});

describe("defence in depth", () => {
  it("a backend refuses a TLS client without a certificate, and one whose Gatehouse certificate is not the gateway's", async () => {
    for (const port of [ports.INVENTORY_PORT, ports.ORDERS_PORT]) {
      // No certificate: the handshake fails with a TLS alert (certificate required).
      expect(await tlsAttempt(port)).toBe("error ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
      // demo-cli's certificate from step 6 chains to the dev CA, but names spiffe://gatehouse.internal/demo-cli: closed before any HTTP.
      const identity = { cert: readFileSync(join(stateDir, "dev", "demo-cli.crt"), "utf8"), key: readFileSync(join(stateDir, "dev", "demo-cli.key"), "utf8") };
      expect(await tlsAttempt(port, identity)).toBe("closed");
    }
  });

  it("stops every process it started on SIGTERM", async () => {
    expect(await stack!.stop()).toBe(0);
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    }
  });
});
