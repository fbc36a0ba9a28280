// Replicas on one Redis: three gateway processes and two auth-server processes, 1,000 concurrent
// callers against one limit. The admitted requests are exactly the limit (no over-admission across
// replicas), every other answer is a 429, and tokens from either auth server work at every gateway.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_URL } from "@gatehouse/service-kit/testing";
import { freePort, startService, type ServiceProcess } from "../helpers/services.js";

const run = randomBytes(6).toString("hex");
const secret = randomBytes(24).toString("base64url");
const limit = 50;
const callers = 1000;

let dir: string;
let backend: Server;
let backendHits = 0;
const processes: ServiceProcess[] = [];
const authPorts: number[] = [];
const gatewayPorts: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gatehouse-replicas-"));
  backend = createServer((_request, response) => {
    backendHits += 1;
    response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendAddress = backend.address();
  const backendPort = typeof backendAddress === "object" && backendAddress !== null ? backendAddress.port : 0;

  authPorts.push(await freePort(), await freePort());
  const issuer = `http://127.0.0.1:${authPorts[0]!}`;
  writeFileSync(
    join(dir, "auth-server.yaml"),
    `issuer: ${issuer}
keys: { generate: persist, dir: ${JSON.stringify(join(dir, "keys"))} }
redis: { keyPrefix: "test:replicas:${run}:auth:" }
services:
  caller:
    auth: { method: client_secret_basic, secretEnv: CALLER_SECRET }
    allow: { backend: [backend:read] }
  backend:
    resource: https://backend.internal
    scopes: [backend:read]
    auth: { method: client_secret_basic, secretEnv: CALLER_SECRET }
`,
  );
  writeFileSync(
    join(dir, "gateway.yaml"),
    `issuer: ${issuer}
# A decision that fails is refused (503), never admitted by the local fallback: exactness is what this test measures.
rateLimiting: { keyPrefix: "test:replicas:${run}:rl:", replicas: 3, failureMode: closed, redisCommandTimeoutMs: 5000 }
routes:
  - name: backend
    pathPrefix: /api
    upstreams: [http://127.0.0.1:${backendPort}]
    audience: https://backend.internal
    policy: { scopes: [backend:read], services: [caller] }
    rateLimit: { limit: ${limit}, windowSeconds: 3600 }
`,
  );
  const env = { REDIS_URL, CALLER_SECRET: secret, GATEHOUSE_ISSUER: issuer };
  // The first auth server generates the shared key file; the second starts once it exists.
  for (const port of authPorts) {
    processes.push(await startService("auth-server", ["--config", join(dir, "auth-server.yaml"), "--port", String(port)], env, `http://127.0.0.1:${port}/readyz`));
  }
  for (let index = 0; index < 3; index += 1) {
    const port = await freePort();
    const adminPort = await freePort();
    gatewayPorts.push(port);
    processes.push(
      await startService("gateway", ["--config", join(dir, "gateway.yaml"), "--port", String(port), "--admin-port", String(adminPort)], env, `http://127.0.0.1:${adminPort}/readyz`),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((service) => service.stop()));
  await new Promise((resolve) => backend.close(resolve));
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function token(authPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${authPort}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`caller:${secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: "https://backend.internal", scope: "backend:read" }),
  });
  const body = (await response.json()) as { access_token?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  if (body.access_token === undefined) throw new Error("no access token");
  return body.access_token;
}

describe("three gateways and two auth servers on one Redis", () => {
  it("admit exactly the limit of 1,000 concurrent callers spread over the gateways, with tokens from both auth servers", async () => {
    const tokens = [await token(authPorts[0]!), await token(authPorts[1]!)];
    // A caller whose connection is refused or reset before it was answered (a loaded machine's accept queue) tries
    // again: such a request never reached a limiter, so it cannot blur the count.
    const callOnce = async (index: number): Promise<number> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          const response = await fetch(`http://127.0.0.1:${gatewayPorts[index % 3]!}/api/items/${index}`, {
            headers: { authorization: `Bearer ${tokens[index % 2]!}` },
            signal: AbortSignal.timeout(30_000),
          });
          await response.arrayBuffer();
          return response.status;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    };
    const answers = await Promise.all(Array.from({ length: callers }, (_, index) => callOnce(index)));
    const count = (status: number) => answers.filter((answer) => answer === status).length;
    const statuses = JSON.stringify(Object.fromEntries([...new Set(answers)].map((status) => [status, count(status)])));
    expect({ admitted: count(200), limited: count(429), other: callers - count(200) - count(429) }, statuses).toEqual({ admitted: limit, limited: callers - limit, other: 0 });
    expect(backendHits).toBe(limit);
  }, 90_000);
});
