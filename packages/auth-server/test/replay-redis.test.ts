import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, sharedRegistryMacKeyFile, type ServiceKey } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const ISSUER = "https://auth.replay.test";

let key: ServiceKey;
const servers: AuthServer[] = [];
const ports: number[] = [];

beforeAll(async () => {
  key = await serviceKey("orders-1");
  const prefix = `test:auth:${randomUUID()}:`;
  const config = parseAuthServerConfig({
    issuer: ISSUER,
    keys: { generate: "memory", registryMacKeyFile: sharedRegistryMacKeyFile() },
    // Replays are failed authentications: room for all of them, so the replay cache decides, not the throttle.
    throttle: { maxFailures: 100, windowSeconds: 60 },
    services: {
      orders: { auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } }, allow: { inventory: ["inventory:read"] } },
      inventory: { resource: "https://inventory.internal", scopes: ["inventory:read"], auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } } },
    },
  });
  for (let i = 0; i < 2; i++) {
    const server = createAuthServer(config, { redisUrl: REDIS_URL, redisKeyPrefix: prefix, logger: memoryLogger().logger });
    servers.push(server);
    ports.push((await server.listen(0)).port);
  }
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** Two server processes' view: same issuer, different token endpoints, one Redis. */
const asOf = (port: number): oauth.AuthorizationServer => ({ issuer: ISSUER, token_endpoint: `http://127.0.0.1:${port}/token` });

function fixedAssertion(jti: string): oauth.ClientAuth {
  return oauth.PrivateKeyJwt(key.privateKey, {
    [oauth.modifyAssertion]: (_header, payload) => {
      payload["jti"] = jti;
    },
  });
}

async function ask(port: number, auth: oauth.ClientAuth): Promise<{ status: number; body: unknown }> {
  const response = await oauth.clientCredentialsGrantRequest(
    asOf(port),
    { client_id: "orders" },
    auth,
    { resource: "https://inventory.internal", scope: "inventory:read" },
    PLAIN_HTTP,
  );
  return { status: response.status, body: await response.json() };
}

describe("client assertion replay detection in Redis", () => {
  it("rejects an assertion replayed at another server sharing the Redis with 401 invalid_client", async () => {
    const auth = fixedAssertion(randomUUID());
    expect((await ask(ports[0]!, auth)).status).toBe(200);
    expect(await ask(ports[1]!, auth)).toEqual({
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
    });
  });

  it("accepts one of many concurrent uses of one assertion across servers", async () => {
    const auth = fixedAssertion(randomUUID());
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(ports[i % 2]!, auth)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(11);
  });
});
