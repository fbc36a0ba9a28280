import { randomUUID } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "../src/index.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, type ServiceKey } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const redisTarget = new URL(REDIS_URL);
const SECRET = "outage-secret-0123456789abcdef";
const ISSUER = "https://outage.example";

/** A TCP pass-through to the real Redis that the test can cut and restore on the same port. */
class RedisLink {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(redisTarget.port || 6379), redisTarget.hostname);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const link = new RedisLink();
let server: AuthServer;
let port: number;
let key: ServiceKey;

beforeAll(async () => {
  key = await serviceKey("batch-1");
  await link.up();
  server = createAuthServer(
    parseAuthServerConfig({
      issuer: ISSUER,
      keys: { generate: "memory" },
      services: {
        basic: { auth: { method: "client_secret_basic", secretEnv: "OUTAGE_SECRET" }, allow: { store: ["store:read"] } },
        signed: { auth: { method: "private_key_jwt", jwks: { keys: [key.publicJwk] } }, allow: { store: ["store:read"] } },
        store: { resource: "https://store.internal", scopes: ["store:read"], auth: { method: "client_secret_basic", secretEnv: "OUTAGE_SECRET" } },
      },
    }),
    { env: { OUTAGE_SECRET: SECRET }, logger: memoryLogger().logger, redisUrl: `redis://127.0.0.1:${link.port}`, redisKeyPrefix: `test:auth:${randomUUID()}:` },
  );
  ({ port } = await server.listen(0));
});

afterAll(async () => {
  await server.close();
  await link.down();
});

async function ask(clientId: string, auth: oauth.ClientAuth) {
  const as: oauth.AuthorizationServer = { issuer: ISSUER, token_endpoint: `http://127.0.0.1:${port}/token` };
  const response = await oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, { resource: "https://store.internal", scope: "store:read" }, PLAIN_HTTP);
  return { status: response.status, body: (await response.json()) };
}

const readyz = async () => {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: response.status, body: (await response.json()) };
};

describe("a Redis outage", () => {
  it("keeps secret logins working from the registry snapshot, refuses assertions with 503 instead of skipping the replay check, and recovers by itself", async () => {
    expect((await ask("basic", oauth.ClientSecretBasic(SECRET))).status).toBe(200);
    expect((await ask("signed", oauth.PrivateKeyJwt(key.privateKey))).status).toBe(200);

    await link.down();
    expect(await readyz()).toEqual({ status: 503, body: { status: "not_ready", checks: { accepting: "ok", redis: "failing" } } });
    expect((await ask("basic", oauth.ClientSecretBasic(SECRET))).status).toBe(200);
    expect(await ask("signed", oauth.PrivateKeyJwt(key.privateKey))).toEqual({
      status: 503,
      body: { error: "temporarily_unavailable", error_description: "client assertions cannot be checked right now; retry" },
    });

    await link.up();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await ask("signed", oauth.PrivateKeyJwt(key.privateKey))).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect(await readyz()).toEqual({ status: 200, body: { status: "ready", checks: { accepting: "ok", redis: "ok" } } });
  });
});

describe("an unreachable Redis at start", () => {
  it("stops the start naming where Redis was expected", async () => {
    const unreachable = createAuthServer(parseAuthServerConfig({ keys: { generate: "memory" } }), { logger: memoryLogger().logger, redisUrl: "redis://127.0.0.1:1" });
    await expect(unreachable.listen(0)).rejects.toThrow(/^Redis at 127\.0\.0\.1:1 did not answer \(/);
  });
});
