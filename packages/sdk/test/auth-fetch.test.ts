// authFetch against real servers: the bearer for the target's resource, one refresh-and-retry on 401 invalid_token.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTokenSource, type TokenSource } from "../src/index.js";
import { saysInvalidToken } from "../src/client/www-authenticate.js";
import { startScriptedOAuthServer, tokenAnswer, type ScriptedOAuthServer } from "./helpers/scripted-oauth-server.js";

const RESOURCE = "https://inventory.internal";

interface SeenRequest {
  readonly authorization: string | undefined;
  readonly body: string;
}

/** A resource server that accepts only `accepted` and answers every other token with `refusal`. */
async function startResourceServer(
  accepted: string,
  refusal: { status: number; headers: Record<string, string> },
): Promise<{ url: string; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({ authorization: req.headers.authorization, body: Buffer.concat(chunks).toString("utf8") });
      if (req.headers.authorization === `Bearer ${accepted}`) {
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      } else {
        res.writeHead(refusal.status, { "content-type": "application/json", ...refusal.headers }).end('{"error":"refused"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stock`, seen, server };
}

let oauthServer: ScriptedOAuthServer | undefined;
let resourceServer: Server | undefined;
let source: TokenSource | undefined;

afterEach(async () => {
  source?.close();
  await oauthServer?.close();
  await new Promise((resolve) => (resourceServer === undefined ? resolve(undefined) : resourceServer.close(resolve)));
  oauthServer = resourceServer = source = undefined;
});

async function setUp(accepted: string, refusal: { status: number; headers: Record<string, string> }) {
  oauthServer = await startScriptedOAuthServer(tokenAnswer("token-2"));
  oauthServer.script(tokenAnswer("token-1"));
  const resource = await startResourceServer(accepted, refusal);
  resourceServer = resource.server;
  source = createTokenSource({
    issuer: oauthServer.issuer,
    clientId: "orders",
    auth: { method: "client_secret_post", clientSecret: "orders-secret" },
  });
  return { oauth: oauthServer, resource, source };
}

const invalidToken = { status: 401, headers: { "www-authenticate": 'Bearer realm="inventory", error="invalid_token"' } };

describe("authFetch", () => {
  it("sends the bearer token for the target's resource and keeps the caller's headers", async () => {
    const { oauth, resource, source } = await setUp("token-1", invalidToken);
    const response = await source.authFetch(resource.url, {
      resource: RESOURCE,
      scopes: ["inventory:read"],
      headers: { "x-request-id": "r-1" },
    });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { ok: true } });
    expect(resource.seen).toEqual([{ authorization: "Bearer token-1", body: "" }]);
    expect(oauth.tokenRequests.map((request) => request.form)).toEqual([
      { grant_type: "client_credentials", resource: RESOURCE, scope: "inventory:read", client_id: "orders", client_secret: "orders-secret" },
    ]);
  });

  it("on a 401 invalid_token, gets a new token once and retries the request once with its body", async () => {
    const { oauth, resource, source } = await setUp("token-2", invalidToken);
    const response = await source.authFetch(resource.url, { resource: RESOURCE, method: "POST", body: '{"sku":"a-1"}' });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { ok: true } });
    expect(resource.seen).toEqual([
      { authorization: "Bearer token-1", body: '{"sku":"a-1"}' },
      { authorization: "Bearer token-2", body: '{"sku":"a-1"}' },
    ]);
    expect(oauth.tokenRequests).toHaveLength(2);
    // The new token is the cached one now.
    await expect(source.getToken({ resource: RESOURCE })).resolves.toBe("token-2");
  });

  it("retries only once when the new token is refused too", async () => {
    const { resource, source } = await setUp("token-never", invalidToken);
    const response = await source.authFetch(resource.url, { resource: RESOURCE });
    expect({ status: response.status, challenge: response.headers.get("www-authenticate") }).toEqual({
      status: 401,
      challenge: 'Bearer realm="inventory", error="invalid_token"',
    });
    expect(resource.seen).toHaveLength(2);
  });

  it("returns a 403 insufficient_scope as it is, without a new token", async () => {
    const { oauth, resource, source } = await setUp("token-never", {
      status: 403,
      headers: { "www-authenticate": 'Bearer error="insufficient_scope", scope="inventory:write"' },
    });
    const response = await source.authFetch(resource.url, { resource: RESOURCE });
    expect(response.status).toBe(403);
    expect(resource.seen).toHaveLength(1);
    expect(oauth.tokenRequests).toHaveLength(1);
  });

  it("returns a 401 without an invalid_token challenge as it is", async () => {
    const { resource, source } = await setUp("token-never", { status: 401, headers: { "www-authenticate": 'Bearer realm="inventory"' } });
    expect((await source.authFetch(resource.url, { resource: RESOURCE })).status).toBe(401);
    expect(resource.seen).toHaveLength(1);
  });
});

describe("WWW-Authenticate reading (RFC 6750 §3, RFC 7235 §2.1)", () => {
  it.each([
    ['Bearer error="invalid_token"', true],
    ['Bearer realm="x", error="invalid_token", error_description="expired"', true],
    ["Bearer error=invalid_token", true],
    ['Basic realm="x", Bearer realm="y", error="invalid_token"', true],
    ['Bearer error="insufficient_scope"', false],
    ['Bearer realm="x"', false],
    ['Basic realm="x", error="invalid_token"', false],
    ['DPoP error="invalid_token"', false],
    // A comma inside a quoted string does not start a new challenge (RFC 7235 §2.1, RFC 9110 §5.6.4).
    ['Bearer error_description="expired, Basic realm=x", error="invalid_token"', true],
    ['Basic realm="x, Bearer error=invalid_token, y"', false],
    ['Bearer error_description="it is not error=invalid_token here", error="insufficient_scope"', false],
    ['Bearer realm="a\\"b", error="invalid_token"', true],
    ["Bearer error=invalid_token, Basic", true],
    ["Bearer", false],
    ["not a challenge, ,", false],
    ["", false],
  ])("%s → %s", async (header, expected) => {
    expect(await saysInvalidToken(header)).toBe(expected);
  });
});
