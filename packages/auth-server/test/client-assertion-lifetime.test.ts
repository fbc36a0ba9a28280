// `tokens.clientAssertionMaxLifetimeSeconds`: how far ahead a client assertion's `exp` may lie, and so how long
// the replay cache keeps its `jti`. Two real servers sharing the real Redis, one with the default (300 s) and one
// with 3600 s; the replay entries are read back from Redis.
import { createHash, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, type ServiceKey } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const prefix = `test:auth:${randomUUID()}:`;

let key: ServiceKey;
let inspect: Redis;
const running: { server: AuthServer; as: oauth.AuthorizationServer; lines: Record<string, unknown>[] }[] = [];

async function start(tokens: Record<string, number>): Promise<(typeof running)[number]> {
  const config = parseAuthServerConfig({
    keys: { generate: "memory" },
    tokens,
    services: {
      orders: { auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } }, allow: { inventory: ["inventory:read"] } },
      inventory: { resource: "https://inventory.internal", scopes: ["inventory:read"], auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } } },
    },
  });
  const { logger, lines } = memoryLogger();
  const server = createAuthServer(config, { redisUrl: REDIS_URL, redisKeyPrefix: prefix, logger });
  const { issuer, port } = await server.listen(0);
  const started = { server, as: { issuer, token_endpoint: `http://127.0.0.1:${port}/token` }, lines };
  running.push(started);
  return started;
}

beforeAll(async () => {
  key = await serviceKey("orders-1");
  inspect = new Redis(REDIS_URL);
});

afterAll(async () => {
  await Promise.all(running.map((r) => r.server.close()));
  await inspect.quit();
});

/** Asks `server` for a token with an assertion valid for `lifetime` seconds; returns the answer and the jti's TTL in Redis. */
async function askWith(server: (typeof running)[number], lifetime: number) {
  const jti = randomUUID();
  const auth = oauth.PrivateKeyJwt(key.privateKey, {
    [oauth.modifyAssertion]: (_header, payload) => {
      payload["jti"] = jti;
      payload["exp"] = Math.floor(Date.now() / 1000) + lifetime;
    },
  });
  const response = await oauth.clientCredentialsGrantRequest(
    server.as,
    { client_id: "orders" },
    auth,
    { resource: "https://inventory.internal", scope: "inventory:read" },
    PLAIN_HTTP,
  );
  const replayKey = `${prefix}jti:${createHash("sha256").update(`orders\0${jti}`).digest("base64url")}`;
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, ttlMs: await inspect.pttl(replayKey) };
}

describe("client assertion lifetime (tokens.clientAssertionMaxLifetimeSeconds)", () => {
  it("by default accepts an assertion valid for 300 s and keeps its jti no longer than that plus the tolerance", async () => {
    const server = await start({});
    const answer = await askWith(server, 300);
    expect(answer.status).toBe(200);
    expect(answer.ttlMs).toBeGreaterThan(295_000);
    expect(answer.ttlMs).toBeLessThanOrEqual(305_000);
  });

  it("by default refuses an assertion valid for an hour (Authlib's default) with 401 invalid_client, saying why in the audit line", async () => {
    const server = await start({});
    const answer = await askWith(server, 3600);
    expect(answer).toEqual({ status: 401, body: { error: "invalid_client", error_description: "client authentication failed" }, ttlMs: -2 });
    expect(server.lines.find((l) => l["event"] === "client_auth.failed")).toMatchObject({
      error: "invalid_client",
      reason: "client assertion exp must be at most 300 seconds ahead (tokens.clientAssertionMaxLifetimeSeconds)",
    });
  });

  it("accepts an hour when set to 3600, and the replay cache then keeps the jti for that hour", async () => {
    const server = await start({ clientAssertionMaxLifetimeSeconds: 3600 });
    const answer = await askWith(server, 3600);
    expect(answer.status).toBe(200);
    expect(answer.ttlMs).toBeGreaterThan(3_595_000);
    expect(answer.ttlMs).toBeLessThanOrEqual(3_605_000);
    const tooLong = await askWith(server, 3700);
    expect(tooLong).toMatchObject({ status: 401, body: { error: "invalid_client" }, ttlMs: -2 });
  });

  it("refuses a setting above 3600 at start-up, naming the path", () => {
    expect(() => parseAuthServerConfig({ tokens: { clientAssertionMaxLifetimeSeconds: 86_400 } }, "auth.yaml")).toThrow(
      /tokens\.clientAssertionMaxLifetimeSeconds/,
    );
  });
});
