import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, serviceKey } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const SECRET = "billing-secret-0123456789abcdef";
const ADMIN_TOKEN = "admin-credential-0123456789abcdefghijklmnop";
let server: AuthServer;
let port: number;
let adminPort: number;
let issuer: string;
let log: ReturnType<typeof memoryLogger>;
let assertionKey: Awaited<ReturnType<typeof serviceKey>>;

beforeAll(async () => {
  log = memoryLogger();
  assertionKey = await serviceKey("orders-1");
  const config = parseAuthServerConfig({
    keys: { generate: "memory" },
    admin: { port: 0 },
    http: { proxy: true, trustedProxies: ["127.0.0.1"] },
    services: {
      billing: { auth: { method: "client_secret_post", secretEnv: "BILLING_SECRET" }, allow: { ledger: ["ledger:read"] }, attributes: { team: "finance" } },
      orders: { auth: { method: "private_key_jwt", jwks: { keys: [assertionKey.publicJwk] } }, allow: { ledger: ["ledger:read"] } },
      ledger: { resource: "https://ledger.internal", scopes: ["ledger:read", "ledger:write"], auth: { method: "client_secret_post", secretEnv: "BILLING_SECRET" } },
    },
  });
  server = createAuthServer(config, {
    env: { BILLING_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN },
    logger: log.logger,
    redisUrl: REDIS_URL,
    redisKeyPrefix: `test:auth:${randomUUID()}:`,
  });
  ({ port, issuer, adminPort } = (await server.listen(0)) as { port: number; issuer: string; adminPort: number });
});

afterAll(async () => {
  await server.close();
});

async function ask(auth: oauth.ClientAuth, clientId: string, scope: string, forwardedFor: string): Promise<Response> {
  const as: oauth.AuthorizationServer = { issuer, token_endpoint: `http://127.0.0.1:${port}/token` };
  return oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, { resource: "https://ledger.internal", scope }, {
    ...PLAIN_HTTP,
    headers: new Headers({ "x-forwarded-for": forwardedFor }),
  });
}

describe("audit log", () => {
  it("writes a token.issued line with client, resource, scopes, jti and the forwarded address, never the token", async () => {
    const response = await ask(oauth.ClientSecretPost(SECRET), "billing", "ledger:read", "203.0.113.7");
    const { access_token } = (await response.json()) as { access_token: string };
    const [, payload] = access_token.split(".");
    const jti = (JSON.parse(Buffer.from(payload!, "base64url").toString()) as { jti: string }).jti;
    const line = log.lines.find((l) => l["event"] === "token.issued" && l["jti"] === jti);
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number) as number,
      audit: true,
      event: "token.issued",
      client: "billing",
      resource: "https://ledger.internal",
      scopes: ["ledger:read"],
      jti,
      expiresIn: 300,
      remote: "203.0.113.7",
      msg: "token issued",
    });
    const everything = JSON.stringify(log.lines);
    expect(everything).not.toContain(access_token);
    expect(everything).not.toContain(SECRET);
  });

  it("writes a client_auth.failed line naming the claimed client and the reason, never the secret", async () => {
    const wrong = "wrong-secret-value-xyz";
    expect((await ask(oauth.ClientSecretPost(wrong), "billing", "ledger:read", "203.0.113.8")).status).toBe(401);
    expect(log.lines).toContainEqual({
      level: 40,
      time: expect.any(Number) as number,
      audit: true,
      event: "client_auth.failed",
      client: "billing",
      resource: "https://ledger.internal",
      scopes: ["ledger:read"],
      error: "invalid_client",
      reason: "invalid secret provided",
      status: 401,
      remote: "203.0.113.8",
      msg: "client authentication failed",
    });
    expect(JSON.stringify(log.lines)).not.toContain(wrong);
  });

  it("audits a replayed assertion without logging the assertion", async () => {
    let assertion = "";
    const auth = oauth.PrivateKeyJwt(assertionKey.privateKey, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload["jti"] = `fixed-${randomUUID()}`;
      },
    });
    const capture: oauth.ClientAuth = async (as, client, body, headers) => {
      await auth(as, client, body, headers);
      assertion = body.get("client_assertion") ?? "";
    };
    expect((await ask(capture, "orders", "ledger:read", "203.0.113.9")).status).toBe(200);
    const replay: oauth.ClientAuth = (_as, _client, body) => {
      body.set("client_id", "orders");
      body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      body.set("client_assertion", assertion);
    };
    expect((await ask(replay, "orders", "ledger:read", "203.0.113.9")).status).toBe(401);
    const jti = (JSON.parse(Buffer.from(assertion.split(".")[1]!, "base64url").toString()) as { jti: string }).jti;
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "client_auth.failed", client: "orders", assertionJti: jti, reason: "client assertion tokens must only be used once" }),
    );
    expect(JSON.stringify(log.lines)).not.toContain(assertion);
  });

  it("writes a token.refused line for a disallowed scope", async () => {
    expect((await ask(oauth.ClientSecretPost(SECRET), "billing", "ledger:write", "203.0.113.10")).status).toBe(400);
    expect(log.lines).toContainEqual(expect.objectContaining({ event: "token.refused", client: "billing", error: "invalid_scope", scopes: ["ledger:write"], remote: "203.0.113.10" }));
  });
});

describe("metrics", () => {
  it("counts tokens by client and resource, failures by error code, and latency", async () => {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(text).toContain('gatehouse_auth_tokens_issued_total{client="billing",resource="https://ledger.internal"} 1');
    expect(text).toMatch(/gatehouse_auth_token_failures_total\{error="invalid_client"\} [1-9]/);
    expect(text).toContain('gatehouse_auth_token_failures_total{error="invalid_scope"} 1');
    expect(text).toMatch(/gatehouse_auth_token_request_duration_seconds_count\{outcome="issued"\} [1-9]/);
  });

  it("reports Node's process metrics and the log buffer, so memory can be watched against the container's limit", async () => {
    const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(text).toMatch(/^gatehouse_auth_process_resident_memory_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^gatehouse_auth_nodejs_heap_size_used_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^gatehouse_auth_log_lines_dropped_total \d+$/m);
    expect(text).toMatch(/^gatehouse_auth_log_buffer_bytes \d+$/m);
  });
});

describe("health", () => {
  it("answers /healthz and /readyz with the Redis check", async () => {
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: "ok" }]);
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect([readyz.status, await readyz.json()]).toEqual([200, { status: "ready", checks: { accepting: "ok", redis: "ok" } }]);
  });

  it("answers /readyz without checks when no Redis is configured", async () => {
    const other = createAuthServer(parseAuthServerConfig({ keys: { generate: "memory" } }), { logger: memoryLogger().logger });
    const { port: otherPort } = await other.listen(0);
    const ready = await fetch(`http://127.0.0.1:${otherPort}/readyz`);
    expect(await ready.json()).toEqual({ status: "ready", checks: { accepting: "ok" } });
    await other.close();
  });
});

describe("http.proxy", () => {
  it("ignores X-Forwarded-For when off, so a client cannot choose its audited address", async () => {
    const own = memoryLogger();
    const direct = createAuthServer(
      parseAuthServerConfig({ keys: { generate: "memory" }, services: { billing: { auth: { method: "client_secret_post", secretEnv: "BILLING_SECRET" } } } }),
      { env: { BILLING_SECRET: SECRET }, logger: own.logger },
    );
    const { port: directPort, issuer: directIssuer } = await direct.listen(0);
    try {
      const as: oauth.AuthorizationServer = { issuer: directIssuer, token_endpoint: `http://127.0.0.1:${directPort}/token` };
      const response = await oauth.clientCredentialsGrantRequest(as, { client_id: "billing" }, oauth.ClientSecretPost("wrong-secret"), { resource: "https://x.internal", scope: "x" }, {
        ...PLAIN_HTTP,
        headers: new Headers({ "x-forwarded-for": "203.0.113.99" }),
      });
      expect(response.status).toBe(401);
      expect(own.lines).toContainEqual(expect.objectContaining({ event: "client_auth.failed", client: "billing", remote: "127.0.0.1" }));
    } finally {
      await direct.close();
    }
  });
});
