// Redis restarted under a running auth server and its subscribers (a private, persistent redis-server child):
// revocations made before and after the restart reach the subscriber, and a new subscriber's snapshot has both.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as oauth from "oauth4webapi";
import { afterEach, expect, it } from "vitest";
import { PLAIN_HTTP } from "../helpers/estate.js";
import { freePort, PrivateRedis, uniquePrefix } from "../helpers/redis.js";
import { ADMIN_TOKEN, ENV, INVENTORY, startReplica, startSdkBackend, type AuthReplica } from "./estate.js";

let redis: PrivateRedis;
let replica: AuthReplica;
let dataDir: string;
let keysDir: string;
let issuer: string;
let as: oauth.AuthorizationServer;

async function startAll(persistent: boolean): Promise<void> {
  dataDir = mkdtempSync(join(tmpdir(), "gatehouse-redis-"));
  keysDir = mkdtempSync(join(tmpdir(), "gatehouse-keys-"));
  redis = await PrivateRedis.start(persistent ? { dataDir } : {});
  const port = await freePort();
  issuer = `http://127.0.0.1:${String(port)}`;
  replica = await startReplica(issuer, keysDir, port, redis.url, uniquePrefix("rev"));
  as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...PLAIN_HTTP }));
}

afterEach(async () => {
  await replica.server.close();
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(keysDir, { recursive: true, force: true });
});

async function mint(): Promise<{ token: string; jti: string }> {
  const client = { client_id: "orders" };
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(ENV.ORDERS_SECRET), { resource: INVENTORY, scope: "inventory:read" }, PLAIN_HTTP);
  const token = (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
  return { token, jti: (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { jti: string }).jti };
}

async function revoke(jti: string): Promise<number> {
  const response = await fetch(`${replica.url}/admin/revocations`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ jti }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function eventually(withinMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function status(url: string, token: string): Promise<number> {
  const response = await fetch(`${url}/items`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

it("loses no revocation when Redis restarts: the subscriber gets those made before and after, a new subscriber's snapshot has both", async () => {
  await startAll(true);
  const backend = await startSdkBackend(issuer, replica.url);
  try {
    expect(await backend.verifier.revocationReady(5_000)).toBe(true);
    const [before, after, untouched] = [await mint(), await mint(), await mint()];
    expect(await revoke(before.jti)).toBe(201);
    await eventually(1_000, async () => (await status(backend.url, before.token)) === 401);

    await redis.stop();
    // While Redis is down a revocation cannot be recorded: the admin API says so instead of losing it.
    expect(await revoke(after.jti)).toBe(503);
    await redis.start();
    await eventually(10_000, async () => (await revoke(after.jti)) === 201);
    await eventually(5_000, async () => (await status(backend.url, after.token)) === 401);
    expect(await status(backend.url, before.token)).toBe(401);
    expect(await status(backend.url, untouched.token)).toBe(200);

    const late = await startSdkBackend(issuer, replica.url);
    try {
      expect(await late.verifier.revocationReady(5_000)).toBe(true);
      expect([await status(late.url, before.token), await status(late.url, after.token), await status(late.url, untouched.token)]).toEqual([401, 401, 200]);
    } finally {
      await late.close();
    }
  } finally {
    await backend.close();
  }
}, 40_000);

it("without Redis persistence, a running subscriber that reconnects still refuses what it knew (snapshots never take a revocation back); only a new subscriber misses it", async () => {
  await startAll(false);
  const backend = await startSdkBackend(issuer, replica.url);
  try {
    expect(await backend.verifier.revocationReady(5_000)).toBe(true);
    const before = await mint();
    expect(await revoke(before.jti)).toBe(201);
    await eventually(1_000, async () => (await status(backend.url, before.token)) === 401);
    const connections = backend.events.filter((e) => e["type"] === "snapshot").length;
    await redis.stop();
    await redis.start();
    // The replica restarts too, so the subscriber reconnects; the feed lost its stream, the subscriber's
    // Last-Event-ID is unknown to it, so it gets a (now empty) snapshot.
    await replica.server.close();
    replica = await startReplica(issuer, keysDir, replica.port, redis.url, uniquePrefix("rev"));
    await eventually(10_000, () => Promise.resolve(backend.events.filter((e) => e["type"] === "snapshot").length > connections));
    expect(await status(backend.url, before.token)).toBe(401);
    const late = await startSdkBackend(issuer, replica.url);
    try {
      expect(await late.verifier.revocationReady(5_000)).toBe(true);
      expect(await status(late.url, before.token)).toBe(200);
    } finally {
      await late.close();
    }
  } finally {
    await backend.close();
  }
}, 40_000);
