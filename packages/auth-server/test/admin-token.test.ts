import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger, requestToken, startServer, type Started } from "./helpers/server.js";

const SECRET = "operator-secret-0123456789abcdef";
const ADMIN = "https://auth.internal/admin";
let started: Started;
const log = memoryLogger();

beforeAll(async () => {
  started = await startServer(
    {
      keys: { generate: "memory" },
      admin: { enabled: true, onPublicPort: true, audience: ADMIN },
      services: {
        "gatehouse-admin": { resource: ADMIN, scopes: ["gatehouse:admin", "gatehouse:audit"], auth: { method: "client_secret_basic", secretEnv: "OPS_SECRET" }, disabled: false },
        operator: { auth: { method: "client_secret_basic", secretEnv: "OPS_SECRET" }, allow: { "gatehouse-admin": ["gatehouse:admin"], ledger: ["ledger:read"] } },
        auditor: { auth: { method: "client_secret_basic", secretEnv: "OPS_SECRET" }, allow: { "gatehouse-admin": ["gatehouse:audit"] } },
        ledger: { resource: "https://ledger.internal", scopes: ["ledger:read"], auth: { method: "client_secret_basic", secretEnv: "OPS_SECRET" } },
      },
    },
    { env: { OPS_SECRET: SECRET }, logger: log.logger },
  );
});

afterAll(async () => {
  await started.server.close();
});

async function token(clientId: string, resource: string, scope: string): Promise<string> {
  const response = await requestToken(started.as, clientId, oauth.ClientSecretBasic(SECRET), { resource, scope });
  return (await oauth.processClientCredentialsResponse(started.as, { client_id: clientId }, response)).access_token;
}

async function admin(method: string, path: string, bearer: string) {
  const response = await fetch(`${started.issuer}${path}`, { method, headers: { authorization: `Bearer ${bearer}` } });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), body: (await response.json()) };
}

describe("admin API with Gatehouse tokens (admin.audience)", () => {
  it("accepts a token for the admin audience with the admin scope and audits the calling service", async () => {
    const bearer = await token("operator", ADMIN, "gatehouse:admin");
    expect((await admin("GET", "/admin/services/ledger", bearer)).status).toBe(200);
    expect((await admin("POST", "/admin/services/ledger/disable", bearer)).body).toMatchObject({ id: "ledger", disabled: true });
    expect(log.lines).toContainEqual(expect.objectContaining({ audit: true, event: "admin.service_disabled", service: "ledger", actor: "operator" }));
  });

  it("answers a valid token without the admin scope with 403 insufficient_scope", async () => {
    const bearer = await token("auditor", ADMIN, "gatehouse:audit");
    expect(await admin("GET", "/admin/services", bearer)).toEqual({
      status: 403,
      challenge: 'Bearer realm="gatehouse-admin", error="insufficient_scope", error_description="the token lacks the gatehouse:admin scope", scope="gatehouse:admin"',
      body: { error: "insufficient_scope", error_description: "the token lacks the gatehouse:admin scope" },
    });
  });

  it("rejects a token minted for another audience with 401 invalid_token", async () => {
    await admin("POST", "/admin/services/ledger/enable", await token("operator", ADMIN, "gatehouse:admin"));
    const bearer = await token("operator", "https://ledger.internal", "ledger:read");
    expect(await admin("GET", "/admin/services", bearer)).toEqual({
      status: 401,
      challenge: 'Bearer realm="gatehouse-admin", error="invalid_token", error_description="the admin credential is not valid"',
      body: { error: "invalid_token", error_description: "the admin credential is not valid" },
    });
  });

  it("rejects a token whose signature was tampered with", async () => {
    const bearer = await token("operator", ADMIN, "gatehouse:admin");
    const [header, payload, signature] = bearer.split(".") as [string, string, string];
    const forged = `${header}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    expect((await admin("GET", "/admin/services", forged)).status).toBe(401);
  });
});
