// requireService (real Koa) and authenticateRequest (real node:http) on port 0: 401/403/400 JSON answers with the
// RFC 6750 WWW-Authenticate header, the verified token handed to the route.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateRequest, createVerifier, type GatehouseState, requireService, type RequireServiceOptions, type Verifier } from "../src/index.js";
import { generateSigningKey, nowSeconds, signAccessToken, type SigningKey } from "./helpers/keys.js";
import { startJwksServer, type JwksServer } from "./helpers/jwks-server.js";

const AUDIENCE = "https://inventory.internal";

let jwks: JwksServer;
let key: SigningKey;
let verifier: Verifier;
const servers: Server[] = [];
const urls: Record<"koa" | "node", string> = { koa: "", node: "" };

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  key = await generateSigningKey("k1");
  jwks = await startJwksServer([key.publicJwk]);
  verifier = createVerifier({ issuer: jwks.issuer });
  const options: RequireServiceOptions = {
    verifier,
    audience: AUDIENCE,
    realm: "inventory",
    scopes: ["inventory:read"],
    services: ["orders", "billing"],
    attributes: { environment: "prod" },
  };

  const app = new Koa<GatehouseState>();
  app.use(requireService(options));
  app.use((ctx) => {
    ctx.body = { service: ctx.state.gatehouse?.service, scopes: ctx.state.gatehouse?.scopes };
  });
  urls.koa = await listen(createServer(app.callback()));

  urls.node = await listen(
    createServer((req, res) => {
      void authenticateRequest(req, res, options).then((caller) => {
        if (caller === undefined) return;
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ service: caller.service, scopes: caller.scopes }));
      });
    }),
  );
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  verifier.close();
  await jwks.close();
});

interface Answer {
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

/** A raw request, so headers can be repeated. */
function get(url: string, headers: [string, string][] = [], path = "/stock"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Raw header pairs (to repeat one) replace Node's defaults, Host included.
    const raw = [["Host", new URL(url).host], ...headers].flat();
    const req = request(`${url}${path}`, { method: "GET", headers: raw }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          wwwAuthenticate: res.headers["www-authenticate"],
          contentType: res.headers["content-type"]?.replace(/; ?charset=utf-8/, ""),
          body: text === "" ? undefined : (JSON.parse(text) as unknown),
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const bearer = (token: string): [string, string] => ["Authorization", `Bearer ${token}`];

for (const kind of ["koa", "node"] as const) {
  describe(kind === "koa" ? "requireService (Koa)" : "authenticateRequest (node:http)", () => {
    it("passes a valid token and hands the verified service to the route", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer });
      expect(await get(urls[kind], [bearer(token)])).toEqual({
        status: 200,
        wwwAuthenticate: undefined,
        contentType: "application/json",
        body: { service: "orders", scopes: ["inventory:read", "inventory:reserve"] },
      });
    });

    it("answers a request without credentials with 401 and a bare challenge (RFC 6750 §3.1)", async () => {
      expect(await get(urls[kind])).toEqual({
        status: 401,
        wwwAuthenticate: 'Bearer realm="inventory"',
        contentType: "application/json",
        body: { error: "invalid_token", error_description: "a Bearer access token is required" },
      });
      expect((await get(urls[kind], [["Authorization", "Basic b3JkZXJzOnNlY3JldA=="]])).wwwAuthenticate).toBe('Bearer realm="inventory"');
    });

    it("answers an expired token with 401 invalid_token (RFC 6750 §3.1)", async () => {
      const now = nowSeconds();
      const token = await signAccessToken(key, { issuer: jwks.issuer, claims: { iat: now - 600, exp: now - 60 } });
      expect(await get(urls[kind], [bearer(token)])).toEqual({
        status: 401,
        wwwAuthenticate: 'Bearer realm="inventory", error="invalid_token", error_description="the token has expired"',
        contentType: "application/json",
        body: { error: "invalid_token", error_description: "the token has expired" },
      });
    });

    it("answers a token for another audience with 401 invalid_token", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer, audience: "https://payments.internal" });
      expect(await get(urls[kind], [bearer(token)])).toMatchObject({
        status: 401,
        body: { error: "invalid_token", error_description: "the token is not meant for this audience (aud)" },
      });
    });

    it("answers a token without the required scope with 403 insufficient_scope and the scope (RFC 6750 §3.1)", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer, claims: { scope: "inventory:reserve" } });
      expect(await get(urls[kind], [bearer(token)])).toEqual({
        status: 403,
        wwwAuthenticate:
          'Bearer realm="inventory", error="insufficient_scope", error_description="the token lacks the scope inventory:read", scope="inventory:read"',
        contentType: "application/json",
        body: { error: "insufficient_scope", error_description: "the token lacks the scope inventory:read" },
      });
    });

    it("answers a service that may not call with 403 insufficient_scope", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer, claims: { sub: "reports", client_id: "reports" } });
      expect(await get(urls[kind], [bearer(token)])).toMatchObject({
        status: 403,
        body: { error: "insufficient_scope", error_description: "the service reports may not call this resource" },
      });
    });

    it("answers a caller without the required attribute value with 403 insufficient_scope", async () => {
      const staging = await signAccessToken(key, {
        issuer: jwks.issuer,
        claims: { "urn:gatehouse:attributes": { team: "checkout", environment: "staging" } },
      });
      const expected = {
        status: 403,
        wwwAuthenticate:
          'Bearer realm="inventory", error="insufficient_scope", error_description="the caller\'s attribute environment does not have the required value", scope="inventory:read"',
        contentType: "application/json",
        body: { error: "insufficient_scope", error_description: "the caller's attribute environment does not have the required value" },
      };
      expect(await get(urls[kind], [bearer(staging)])).toEqual(expected);
      const none = await signAccessToken(key, { issuer: jwks.issuer, omit: ["urn:gatehouse:attributes"] });
      expect(await get(urls[kind], [bearer(none)])).toEqual(expected);
    });

    it("answers an access_token query parameter with 400 invalid_request, even beside a valid header", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer });
      expect(await get(urls[kind], [bearer(token)], `/stock?access_token=${token}`)).toEqual({
        status: 400,
        wwwAuthenticate:
          'Bearer realm="inventory", error="invalid_request", error_description="access tokens are accepted only in the Authorization header, not in the query string"',
        contentType: "application/json",
        body: { error: "invalid_request", error_description: "access tokens are accepted only in the Authorization header, not in the query string" },
      });
    });

    it("answers two Authorization headers with 400 invalid_request", async () => {
      const token = await signAccessToken(key, { issuer: jwks.issuer });
      expect(await get(urls[kind], [bearer(token), bearer(token)])).toEqual({
        status: 400,
        wwwAuthenticate:
          'Bearer realm="inventory", error="invalid_request", error_description="the request has more than one Authorization header"',
        contentType: "application/json",
        body: { error: "invalid_request", error_description: "the request has more than one Authorization header" },
      });
    });

    it("answers a malformed Bearer value with 400 invalid_request", async () => {
      expect(await get(urls[kind], [["Authorization", "Bearer a b"]])).toMatchObject({
        status: 400,
        body: { error: "invalid_request", error_description: "the Authorization header is not a valid Bearer token" },
      });
    });
  });
}

describe("middleware options", () => {
  it("refuses to start without an audience or a verifier", () => {
    expect(() => requireService({ verifier, audience: "" })).toThrow(expect.objectContaining({ code: "invalid_options" }));
    expect(() => requireService({ audience: AUDIENCE })).toThrow(expect.objectContaining({ code: "invalid_options" }));
  });

  it("refuses a scope or a service name that can never match", () => {
    expect(() => requireService({ verifier, audience: AUDIENCE, scopes: ["inventory read"] })).toThrow(
      expect.objectContaining({
        code: "invalid_options",
        description: 'scopes: "inventory read" must be a scope token: printable ASCII without spaces, quotes or backslashes',
      }),
    );
    expect(() => requireService({ verifier, audience: AUDIENCE, services: ["Orders"] })).toThrow(
      expect.objectContaining({ code: "invalid_options", description: 'services: "Orders" must be a DNS label: 1-63 of a-z, 0-9 and -, not starting or ending with -' }),
    );
  });

  it("creates its verifier from verifierOptions", async () => {
    const app = new Koa<GatehouseState>();
    app.use(requireService({ verifierOptions: { issuer: jwks.issuer }, audience: AUDIENCE }));
    app.use((ctx) => {
      ctx.body = { service: ctx.state.gatehouse?.service };
    });
    const url = await listen(createServer(app.callback()));
    const token = await signAccessToken(key, { issuer: jwks.issuer });
    expect(await get(url, [bearer(token)])).toMatchObject({ status: 200, body: { service: "orders" } });
  });

  it("answers 503 without a challenge when the issuer's keys cannot be loaded", async () => {
    const down = await startJwksServer([]);
    await down.close();
    const app = new Koa<GatehouseState>();
    app.use(requireService({ verifierOptions: { jwksUri: down.jwksUri, jwks: { timeoutMs: 500 } }, audience: AUDIENCE }));
    const url = await listen(createServer(app.callback()));
    const token = await signAccessToken(key, { issuer: jwks.issuer });
    expect(await get(url, [bearer(token)])).toEqual({
      status: 503,
      wwwAuthenticate: undefined,
      contentType: "application/json",
      body: { error: "jwks_unavailable", error_description: "the request could not be completed" },
    });
  });
});
