import { createServer, type Server } from "node:http";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, type ServiceKey } from "./helpers/server.js";

let key: ServiceKey;
let jwksServer: Server;
let jwksUri: string;
let fetched = 0;

beforeAll(async () => {
  key = await serviceKey("reports-1");
  jwksServer = createServer((_req, res) => {
    fetched += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [key.publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
});

async function withServer(privateAddresses: boolean, run: (ask: () => Promise<Response>, lines: Record<string, unknown>[]) => Promise<void>) {
  const log = memoryLogger();
  const server: AuthServer = createAuthServer(
    parseAuthServerConfig({
      keys: { generate: "memory" },
      http: { jwksUriPrivateAddresses: privateAddresses },
      services: {
        reports: { auth: { method: "private_key_jwt", jwksUri }, allow: { ledger: ["ledger:read"] } },
        ledger: { resource: "https://ledger.internal", scopes: ["ledger:read"], auth: { method: "private_key_jwt", jwksUri } },
      },
    }),
    { logger: log.logger },
  );
  const { issuer } = await server.listen(0);
  const as: oauth.AuthorizationServer = { issuer, token_endpoint: `${issuer}/token` };
  try {
    await run(
      () => oauth.clientCredentialsGrantRequest(as, { client_id: "reports" }, oauth.PrivateKeyJwt(key.privateKey), { resource: "https://ledger.internal", scope: "ledger:read" }, PLAIN_HTTP),
      log.lines,
    );
  } finally {
    await server.close();
  }
}

describe("private_key_jwt with a jwksUri", () => {
  it("refuses a JWKS on a loopback address by default (oidc-provider's SSRF guard): 401, never fetched", async () => {
    const before = fetched;
    await withServer(false, async (ask, lines) => {
      const response = await ask();
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "invalid_client", error_description: "client authentication failed" });
      expect(lines).toContainEqual(expect.objectContaining({ event: "client_auth.failed", client: "reports" }));
    });
    expect(fetched).toBe(before);
  });

  it("fetches the JWKS from an internal address with http.jwksUriPrivateAddresses and issues the token", async () => {
    await withServer(true, async (ask) => {
      const response = await ask();
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: "Bearer", scope: "ledger:read" });
    });
    expect(fetched).toBeGreaterThan(0);
  });
});
