import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../../src/index.js";
import { memoryLogger, PLAIN_HTTP, sharedRegistryMacKeyFile } from "../helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

// A client with valid credentials cannot mint tokens without bound: a ceiling per (client,
// resource), shared by every replica through Redis, answered with 429 and Retry-After.

const SECRET = "issuer-test-secret-0123456789abcdef";
const ISSUER = "https://auth.ceiling.test";
const log = memoryLogger();
const servers: AuthServer[] = [];
const ports: number[] = [];
const adminPorts: number[] = [];

beforeAll(async () => {
  const config = parseAuthServerConfig({
    issuer: ISSUER,
    keys: { generate: "memory", registryMacKeyFile: sharedRegistryMacKeyFile() },
    issuance: { perSecond: 0.1, burst: 3 },
    admin: { port: 0 },
    services: {
      minter: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { ledger: ["ledger:read"], audit: ["audit:read"] } },
      quiet: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { ledger: ["ledger:read"] } },
      ledger: { resource: "https://ledger.internal", scopes: ["ledger:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
      audit: { resource: "https://audit.internal", scopes: ["audit:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
    },
  });
  const prefix = `test:issuance:${randomUUID()}:`;
  for (let i = 0; i < 2; i++) {
    const server = createAuthServer(config, { env: { SECRET }, logger: log.logger, redisUrl: REDIS_URL, redisKeyPrefix: prefix });
    servers.push(server);
    const address = await server.listen(0);
    ports.push(address.port);
    adminPorts.push(address.adminPort ?? 0);
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function ask(port: number, clientId: string, resource: string, scope: string) {
  const response = await oauth.clientCredentialsGrantRequest(
    { issuer: ISSUER, token_endpoint: `http://127.0.0.1:${port}/token` },
    { client_id: clientId },
    oauth.ClientSecretBasic(SECRET),
    { resource, scope },
    PLAIN_HTTP,
  );
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
}

describe("token issuance ceiling", () => {
  it("documents a default of a few tokens per second per (client, resource) with a small burst", () => {
    expect(parseAuthServerConfig({}).issuance).toEqual({ perSecond: 5, burst: 10 });
  });

  it("is shared by two instances on one Redis: the burst, then 429 with Retry-After and an OAuth error body", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await ask(ports[i % 2]!, "minter", "https://ledger.internal", "ledger:read")).status);
    expect(statuses).toEqual([200, 200, 200]);
    for (const port of ports) {
      const refused = await ask(port, "minter", "https://ledger.internal", "ledger:read");
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10);
      expect(refused.body).toEqual({
        error: "temporarily_unavailable",
        error_description: "too many tokens issued to this client for this resource; reuse the last one or retry later",
      });
    }
  });

  it("counts per (client, resource): another resource and another client still get tokens", async () => {
    expect((await ask(ports[0]!, "minter", "https://audit.internal", "audit:read")).status).toBe(200);
    expect((await ask(ports[1]!, "quiet", "https://ledger.internal", "ledger:read")).status).toBe(200);
  });

  it("holds under a concurrent burst across both instances: exactly the burst is issued", async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(ports[i % 2]!, "quiet", "https://audit.internal", "audit:read")));
    // quiet is not allowed audit: every answer is a refusal before issuance, none counts.
    expect(answers.every((a) => a.status === 400)).toBe(true);
    const issued = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(ports[i % 2]!, "minter", "https://audit.internal", "audit:read")));
    // One audit token was issued in the test before: two of the burst of three are left.
    expect(issued.filter((a) => a.status === 200)).toHaveLength(2);
    expect(issued.filter((a) => a.status === 429)).toHaveLength(38);
  });

  it("audits each refusal and counts it in the metrics", async () => {
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "token.refused", client: "minter", resource: "https://ledger.internal", status: 429, reason: "token issuance limit reached for this client and resource" }),
    );
    let refused = 0;
    for (const port of adminPorts) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      refused += Number(/^gatehouse_auth_issuance_limited_total\{client="minter"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    }
    expect(refused).toBe(40);
  });
});
