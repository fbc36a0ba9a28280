import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importJWK, SignJWT } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey, toPrivateJwk, writeKeyFile } from "../src/keys/key-file.js";
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

// The admin API holds tokens to the same rules as every Gatehouse verifier (the SDK's `createKeySetVerifier`): a
// token signed with the server's own key but missing a claim Gatehouse always issues, naming another client than its
// subject, issued in the future or of another type is refused, like any verifier would refuse it.
describe("admin API tokens under the verifier's rules", () => {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-admin-rules-"));
  const key = generateSigningKey(new Date(Date.now() - 60_000));
  let server: Started;
  let sign: (claims: Record<string, unknown>, typ?: string) => Promise<string>;

  beforeAll(async () => {
    const file = join(dir, "keys.json");
    writeKeyFile(file, { keys: [key] });
    server = await startServer(
      { keys: { file }, admin: { enabled: true, onPublicPort: true, audience: ADMIN }, services: {} },
      { env: {}, logger: memoryLogger().logger },
    );
    const privateKey = await importJWK(toPrivateJwk(key), "ES256");
    sign = (claims, typ = "at+jwt") => new SignJWT(claims).setProtectedHeader({ alg: "ES256", typ, kid: key.kid }).sign(privateKey);
  });

  afterAll(async () => {
    await server.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ iss: server.issuer, aud: ADMIN, sub: "operator", client_id: "operator", jti: randomUUID(), iat: now(), exp: now() + 60, scope: "gatehouse:admin" });
  const status = async (bearer: string) => (await fetch(`${server.issuer}/admin/services`, { headers: { authorization: `Bearer ${bearer}` } })).status;

  it("accepts a well-formed token signed with the server's key", async () => {
    expect(await status(await sign(claims()))).toBe(200);
  });

  it.each([
    ["without jti", () => sign({ ...claims(), jti: undefined })],
    ["without client_id", () => sign({ ...claims(), client_id: undefined })],
    ["with sub other than client_id", () => sign({ ...claims(), client_id: "intruder" })],
    ["issued a minute in the future", () => sign({ ...claims(), iat: now() + 60 })],
    ["typed JWT instead of at+jwt", () => sign(claims(), "JWT")],
    ["from another issuer", () => sign({ ...claims(), iss: "https://elsewhere.example" })],
  ])("refuses a token %s with 401 invalid_token", async (_name, token) => {
    const response = await fetch(`${server.issuer}/admin/services`, { headers: { authorization: `Bearer ${await token()}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
