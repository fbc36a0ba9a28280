// Interop with a client this project did not write: Python's Authlib (Debian's python3-authlib, installed by
// scripts/ensure-authlib.sh) asks a real listening auth server for a client_credentials token with a
// private_key_jwt assertion, as a child process. The token it gets must verify against the published JWKS.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createLocalJWKSet, exportPKCS8, jwtVerify, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceKey, startServer, type ServiceKey, type Started } from "./helpers/server.js";

const run = promisify(execFile);
const PYTHON = process.env["GATEHOUSE_PYTHON"] ?? "/usr/bin/python3";
const CLIENT = fileURLToPath(new URL("interop/authlib_client.py", import.meta.url));
const INVENTORY = "https://inventory.internal";

let key: ServiceKey;
let keyPem: string;
let strict: Started;
let lenient: Started;

function config(tokens: Record<string, number>) {
  return {
    keys: { generate: "memory" },
    tokens,
    services: {
      orders: { auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } }, allow: { inventory: ["inventory:read"] } },
      inventory: { resource: INVENTORY, scopes: ["inventory:read"], auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } } },
    },
  };
}

beforeAll(async () => {
  // Fail loudly, never skip: the interop claim is only as good as the client that ran.
  try {
    await run(PYTHON, ["-c", "import authlib, requests"]);
  } catch (cause) {
    throw new Error(`Authlib is not importable by ${PYTHON}: run scripts/ensure-authlib.sh (apt-get install python3-authlib python3-requests)`, { cause });
  }
  key = await serviceKey("orders-1");
  keyPem = await exportPKCS8(key.privateKey);
  strict = await startServer(config({}));
  lenient = await startServer(config({ clientAssertionMaxLifetimeSeconds: 3600 }));
});

afterAll(async () => {
  await Promise.all([strict.server.close(), lenient.server.close()]);
});

interface AuthlibAnswer {
  readonly token?: { access_token: string; token_type: string; expires_in: number; scope?: string };
  readonly error?: string;
  readonly description?: string;
}

/** Runs the Authlib client against `server`; `expiresIn` overrides Authlib's assertion lifetime. */
async function authlib(server: Started, expiresIn?: number): Promise<AuthlibAnswer> {
  const args = [CLIENT, server.as.token_endpoint!, "orders", INVENTORY, "inventory:read", ...(expiresIn === undefined ? [] : [String(expiresIn)])];
  const { stdout } = await run(PYTHON, args, { env: { ...process.env, CLIENT_KEY_PEM: keyPem }, timeout: 20_000 });
  return JSON.parse(stdout) as AuthlibAnswer;
}

async function verify(server: Started, token: string) {
  const jwks = (await (await fetch(server.as.jwks_uri!)).json()) as { keys: JWK[] };
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: server.issuer,
    audience: INVENTORY,
    typ: "at+jwt",
    algorithms: ["ES256"],
  });
  return { payload, protectedHeader };
}

describe("a Python Authlib client (private_key_jwt, client_credentials)", () => {
  it("gets a token that verifies, with Authlib's defaults, when the server accepts hour-long assertions", async () => {
    const answer = await authlib(lenient);
    expect(answer.error).toBeUndefined();
    expect(answer.token).toMatchObject({ token_type: "Bearer", expires_in: 300, scope: "inventory:read" });
    const { payload, protectedHeader } = await verify(lenient, answer.token!.access_token);
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: "orders", client_id: "orders", aud: INVENTORY, scope: "inventory:read" });
  });

  it("is refused with invalid_client, with Authlib's defaults, by a server at the default 300 s bound", async () => {
    expect(await authlib(strict)).toEqual({ error: "invalid_client", description: "client authentication failed" });
  });

  it("gets a token from the default server once its assertions are signed for 300 s, as the README advises", async () => {
    const answer = await authlib(strict, 300);
    expect(answer.error).toBeUndefined();
    const { payload } = await verify(strict, answer.token!.access_token);
    expect(payload).toMatchObject({ sub: "orders", aud: INVENTORY });
  });
});
