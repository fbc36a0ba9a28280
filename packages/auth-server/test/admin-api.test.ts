import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, requestToken, sharedRegistryMacKeyFile, startServer, type Started, adminCall } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const ADMIN_TOKEN = "admin-credential-0123456789abcdefghijklmnop";
const SECRET = "orders-secret-0123456789abcdef";
const env = { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, ORDERS_SECRET: SECRET, LEDGER_SECRET: "ledger-secret-0123456789" };

const registry = {
  keys: { generate: "memory" },
  admin: { enabled: true, onPublicPort: true },
  services: {
    orders: { auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: { inventory: ["inventory:read"] } },
    inventory: { resource: "https://inventory.internal", scopes: ["inventory:read", "inventory:write"], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } },
  },
};

let started: Started;
let log: ReturnType<typeof memoryLogger>;

beforeAll(async () => {
  log = memoryLogger();
  started = await startServer(registry, { env, logger: log.logger });
});

afterAll(async () => {
  await started.server.close();
});

function admin(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) {
  return adminCall(started.issuer, method, path, body, token);
}

async function tokenStatus(clientId: string, secret: string, resource: string, scope: string) {
  const response = await requestToken(started.as, clientId, oauth.ClientSecretBasic(secret), { resource, scope });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("admin API authentication", () => {
  it("rejects a call without a credential with 401 and a Bearer challenge", async () => {
    const result = await admin("GET", "/admin/services", undefined, null);
    expect(result.status).toBe(401);
    expect(result.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-admin"');
    expect(result.body).toEqual({ error: "invalid_token", error_description: "the admin API requires a bearer credential" });
  });

  it("rejects a wrong credential with 401 invalid_token and audits it", async () => {
    const result = await admin("POST", "/admin/services/orders/disable", undefined, `${ADMIN_TOKEN}x`);
    expect(result.status).toBe(401);
    expect(result.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse-admin", error="invalid_token", error_description="the admin credential is not valid"');
    expect(result.body).toEqual({ error: "invalid_token", error_description: "the admin credential is not valid" });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ audit: true, event: "admin.unauthorized", path: "/admin/services/orders/disable", remote: "127.0.0.1", error: "admin_unauthorized" }),
    );
    expect((await admin("GET", "/admin/services/orders")).body).toMatchObject({ disabled: false });
  });
});

describe("admin API bearer header (the SDK's readBearerToken)", () => {
  it.each<[string, Record<string, string>, string, string]>([
    ["a malformed Bearer value", { authorization: `Bearer ${ADMIN_TOKEN} x` }, "", "the Authorization header is not a valid Bearer token"],
    [
      "a credential in the query string",
      { authorization: `Bearer ${ADMIN_TOKEN}` },
      `?access_token=${ADMIN_TOKEN}`,
      "access tokens are accepted only in the Authorization header, not in the query string",
    ],
  ])("answers %s with 400 invalid_request and audits it", async (_name, headers, query, description) => {
    const response = await fetch(`${started.issuer}/admin/services${query}`, { headers });
    expect({ status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.json() }).toEqual({
      status: 400,
      challenge: `Bearer realm="gatehouse-admin", error="invalid_request", error_description="${description}"`,
      body: { error: "invalid_request", error_description: description },
    });
    expect(log.lines).toContainEqual(expect.objectContaining({ audit: true, event: "admin.unauthorized", error: "admin_bad_request" }));
  });

  it("refuses to start with a static credential that is no bearer credential", () => {
    const spaced = "admin credential with spaces 0123456789";
    expect(() => createAuthServer(parseAuthServerConfig(registry), { env: { ...env, GATEHOUSE_ADMIN_TOKEN: spaced }, logger: memoryLogger().logger })).toThrow(
      "admin.tokenEnv: environment variable GATEHOUSE_ADMIN_TOKEN must hold at least 32 characters of a bearer credential (RFC 6750 b64token: letters, digits, - . _ ~ + / and = at the end), e.g. from openssl rand -base64 32",
    );
  });
});

describe("admin API services", () => {
  it("lists the registry", async () => {
    const result = await admin("GET", "/admin/services");
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      services: [
        { id: "inventory", resource: "https://inventory.internal", scopes: ["inventory:read", "inventory:write"], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: {}, attributes: {}, disabled: false },
        { id: "orders", scopes: [], auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: { inventory: ["inventory:read"] }, attributes: {}, disabled: false },
      ],
    });
  });

  it("answers an unknown service with 404 service_not_found", async () => {
    expect(await admin("GET", "/admin/services/ghost")).toMatchObject({ status: 404, body: { error: "not_found", error_description: 'no service "ghost"' } });
  });

  it("creates a service that can then get tokens, and audits the change", async () => {
    const created = await admin("POST", "/admin/services", {
      id: "ledger",
      auth: { method: "client_secret_basic", secretEnv: "LEDGER_SECRET" },
      allow: { inventory: ["inventory:write"] },
      attributes: { team: "finance" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/admin/services/ledger");
    expect(created.body).toEqual({ id: "ledger", scopes: [], auth: { method: "client_secret_basic", secretEnv: "LEDGER_SECRET" }, allow: { inventory: ["inventory:write"] }, attributes: { team: "finance" }, disabled: false });
    expect((await tokenStatus("ledger", env.LEDGER_SECRET, "https://inventory.internal", "inventory:write")).status).toBe(200);
    expect(log.lines).toContainEqual(expect.objectContaining({ audit: true, event: "admin.service_created", service: "ledger", actor: "admin-credential" }));
  });

  it("refuses to create a service whose id exists with 409", async () => {
    const result = await admin("POST", "/admin/services", { id: "orders", auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } });
    expect(result).toMatchObject({ status: 409, body: { error: "conflict", error_description: 'service "orders" exists' } });
  });

  it.each([
    [{ id: "Bad_Id", auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } }, "id: must be a DNS label: 1-63 of a-z, 0-9 and -, not starting or ending with -"],
    [{ id: "x1", auth: { method: "client_secret_post", clientSecret: "inline" } }, "auth.clientSecret: unknown option (check the spelling against the documented options); auth: set exactly one of secretEnv, secretFile"],
    [{ id: "x2", auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: { inventory: ["inventory:delete"] } }, 'allow.inventory.0: scope "inventory:delete" is not exposed by service "inventory"'],
    [{ id: "x3", resource: "https://inventory.internal", auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" } }, 'resource: same resource as service "inventory"'],
    [{ id: "x4", auth: { method: "client_secret_basic", secretEnv: "UNSET_ON_SERVER" } }, "auth: environment variable UNSET_ON_SERVER (its client secret) is not set"],
  ])("rejects an invalid service definition with 400 naming the path (%#)", async (body, description) => {
    expect(await admin("POST", "/admin/services", body)).toEqual({
      status: 400,
      headers: expect.anything() as Headers,
      body: { error: "invalid_request", error_description: description },
    });
  });

  it("rejects a body that is not JSON", async () => {
    expect((await admin("POST", "/admin/services", "{nope")).body).toEqual({ error: "invalid_request", error_description: "the body is not valid JSON" });
  });

  it("updates a service: new scopes are allowed at once", async () => {
    expect((await tokenStatus("orders", SECRET, "https://inventory.internal", "inventory:write")).body).toMatchObject({ error: "invalid_scope" });
    const updated = await admin("PUT", "/admin/services/orders", { auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" }, allow: { inventory: ["inventory:read", "inventory:write"] } });
    expect(updated.status).toBe(200);
    expect((await tokenStatus("orders", SECRET, "https://inventory.internal", "inventory:write")).status).toBe(200);
    expect(log.lines).toContainEqual(expect.objectContaining({ event: "admin.service_updated", service: "orders" }));
  });

  it("disables a service: it gets 401 invalid_client until enabled again", async () => {
    expect((await admin("POST", "/admin/services/orders/disable")).body).toMatchObject({ id: "orders", disabled: true });
    expect(await tokenStatus("orders", SECRET, "https://inventory.internal", "inventory:read")).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
    });
    expect((await admin("POST", "/admin/services/orders/enable")).body).toMatchObject({ id: "orders", disabled: false });
    expect((await tokenStatus("orders", SECRET, "https://inventory.internal", "inventory:read")).status).toBe(200);
    expect(log.lines.filter((l) => l["event"] === "admin.service_disabled" || l["event"] === "admin.service_enabled").map((l) => l["event"])).toEqual([
      "admin.service_disabled",
      "admin.service_enabled",
    ]);
  });
});

describe("admin API placement", () => {
  it("is off by default: /admin answers 404 on the public port", async () => {
    const plain = await startServer({ keys: { generate: "memory" } }, { env: {} });
    try {
      const response = await fetch(`${plain.issuer}/admin/services`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: "not_found", error_description: "no endpoint at /admin/services" });
    } finally {
      await plain.server.close();
    }
  });

  it("is never on the public port unless asked for: enabled without a port is a config error", () => {
    expect(() => parseAuthServerConfig({ keys: { generate: "memory" }, admin: { enabled: true } }, "auth.yaml")).toThrow(
      "admin.port: the admin API needs a port of its own (or onPublicPort: true to share the public one)",
    );
  });

  it("refuses to start with the admin API on and no credential", () => {
    expect(() => createAuthServer(parseAuthServerConfig({ keys: { generate: "memory" }, admin: { enabled: true, onPublicPort: true } }), { env: {}, logger: memoryLogger().logger })).toThrow(
      "admin.tokenEnv: environment variable GATEHOUSE_ADMIN_TOKEN must hold the admin credential (at least 32 characters), or set admin.audience",
    );
  });

  it("serves the admin API and metrics on their own port, not on the public one", async () => {
    const server = createAuthServer(parseAuthServerConfig({ keys: { generate: "memory" }, admin: { enabled: true, port: 0 } }), { env, logger: memoryLogger().logger });
    const { port, adminPort } = await server.listen(0);
    try {
      const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
      expect((await fetch(`http://127.0.0.1:${port}/admin/services`, auth)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, auth)).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${adminPort!}/admin/services`, auth)).json()).toEqual({ services: [] });
      expect((await fetch(`http://127.0.0.1:${adminPort!}/admin/services`)).status).toBe(401);
      const metrics = await fetch(`http://127.0.0.1:${adminPort!}/metrics`);
      expect(metrics.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(await metrics.text()).toContain("# TYPE gatehouse_auth_tokens_issued_total counter");
    } finally {
      await server.close();
    }
  });
});

describe("admin API with the registry in Redis", () => {
  it("fails a service closed with invalid_client on a server that cannot resolve its secret variable", async () => {
    const prefix = `test:auth:${randomUUID()}:`;
    const redisUrl = REDIS_URL;
    const config = parseAuthServerConfig({ ...registry, keys: { generate: "memory", registryMacKeyFile: sharedRegistryMacKeyFile() }, issuer: "https://split.example" });
    const withVar = createAuthServer(config, { env: { ...env, EXTRA_SECRET: "extra-secret-0123456789" }, logger: memoryLogger().logger, redisUrl, redisKeyPrefix: prefix });
    const withoutLog = memoryLogger();
    const without = createAuthServer(config, { env, logger: withoutLog.logger, redisUrl, redisKeyPrefix: prefix });
    try {
      const a = await withVar.listen(0);
      const b = await without.listen(0);
      const created = await fetch(`http://127.0.0.1:${a.port}/admin/services`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ id: "extra", auth: { method: "client_secret_basic", secretEnv: "EXTRA_SECRET" }, allow: { inventory: ["inventory:read"] } }),
      });
      expect(created.status).toBe(201);
      const seen = Date.now() + 2000;
      while ((await fetch(`http://127.0.0.1:${b.port}/admin/services/extra`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status !== 200 && Date.now() < seen) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const as: oauth.AuthorizationServer = { issuer: "https://split.example", token_endpoint: `http://127.0.0.1:${b.port}/token` };
      const response = await oauth.clientCredentialsGrantRequest(as, { client_id: "extra" }, oauth.ClientSecretBasic("extra-secret-0123456789"), { resource: "https://inventory.internal", scope: "inventory:read" }, PLAIN_HTTP);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "invalid_client", error_description: "client authentication failed" });
      expect(withoutLog.lines).toContainEqual(
        expect.objectContaining({ service: "extra", err: 'service "extra": environment variable EXTRA_SECRET (its client secret) is not set', msg: "service credential cannot be resolved here" }),
      );
    } finally {
      await Promise.all([withVar.close(), without.close()]);
    }
  });

  it("disables a service on every server sharing the Redis", async () => {
    const prefix = `test:auth:${randomUUID()}:`;
    const config = parseAuthServerConfig({ ...registry, keys: { generate: "memory", registryMacKeyFile: sharedRegistryMacKeyFile() }, issuer: "https://shared.example" });
    const servers: AuthServer[] = [];
    try {
      const ports: number[] = [];
      for (let i = 0; i < 2; i++) {
        const server = createAuthServer(config, { env, logger: memoryLogger().logger, redisUrl: REDIS_URL, redisKeyPrefix: prefix });
        servers.push(server);
        ports.push((await server.listen(0)).port);
      }
      const ask = async (port: number) => {
        const as: oauth.AuthorizationServer = { issuer: "https://shared.example", token_endpoint: `http://127.0.0.1:${port}/token` };
        const response = await oauth.clientCredentialsGrantRequest(as, { client_id: "orders" }, oauth.ClientSecretBasic(SECRET), { resource: "https://inventory.internal", scope: "inventory:read" }, PLAIN_HTTP);
        return response.status;
      };
      expect(await ask(ports[1]!)).toBe(200);
      const disabled = await fetch(`http://127.0.0.1:${ports[0]!}/admin/services/orders/disable`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(disabled.status).toBe(200);
      const deadline = Date.now() + 2000;
      let status = await ask(ports[1]!);
      while (status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        status = await ask(ports[1]!);
      }
      expect(status).toBe(401);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});
