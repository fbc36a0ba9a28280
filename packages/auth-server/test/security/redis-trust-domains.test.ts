import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRevocationStore } from "../../src/revocation/redis-store.js";
import { memoryLogger, PLAIN_HTTP, serviceKey, startServer, type ServiceKey, type Started } from "../helpers/server.js";

// Redis is no single trust domain: each component is a Redis ACL user limited to its key prefix
// and commands (the project's own docker/redis/users.acl, loaded by a Redis of this test's own),
// and a registry entry the auth server did not write (no valid MAC) is never used.

const root = resolve(import.meta.dirname, "../../../..");
const dir = mkdtempSync(join(tmpdir(), "gatehouse-redis-acl-"));
const USERS = ["auth-server", "gateway", "console", "replication"] as const;
const passwords: Record<(typeof USERS)[number] | "admin", string> = {
  "auth-server": randomBytes(16).toString("hex"),
  gateway: randomBytes(16).toString("hex"),
  console: randomBytes(16).toString("hex"),
  replication: randomBytes(16).toString("hex"),
  admin: randomBytes(16).toString("hex"),
};
let redisServer: ChildProcess;
let port: number;
const connections: Redis[] = [];

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

function connect(user: string, password: string): Redis {
  const redis = new Redis({ host: "127.0.0.1", port, username: user, password, maxRetriesPerRequest: 0, lazyConnect: true });
  redis.on("error", () => undefined);
  connections.push(redis);
  return redis;
}

beforeAll(async () => {
  for (const [user, password] of Object.entries(passwords)) writeFileSync(join(dir, `${user}.password`), password);
  const acl = join(dir, "users.acl");
  execFileSync(process.execPath, [join(root, "scripts/redis-acl.ts"), acl, ...USERS.map((u) => `${u}=${join(dir, `${u}.password`)}`)]);
  // The operator's own account, which the project does not ship: the raw writer of these tests.
  appendFileSync(acl, `user admin on >${passwords.admin} ~* &* +@all\n`);
  port = await freePort();
  redisServer = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--aclfile", acl], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ host: "127.0.0.1", port, username: "admin", password: passwords.admin, lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.quit();
      break;
    } catch (error) {
      probe.disconnect();
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

afterAll(async () => {
  for (const redis of connections) redis.disconnect();
  if (redisServer.exitCode === null) {
    const exited = new Promise((r) => redisServer.once("exit", r));
    redisServer.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("Redis ACL users (docker/redis/users.acl)", () => {
  it("has the default user off: nothing runs without a user name and password", async () => {
    const anonymous = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, lazyConnect: true, enableReadyCheck: false });
    anonymous.on("error", () => undefined);
    connections.push(anonymous);
    await anonymous.connect();
    await expect(anonymous.set("gatehouse:auth:registry:services", "x")).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.auth("default", "")).rejects.toThrow(/WRONGPASS|disabled/);
  });

  it("refuses the gateway's user every write to the auth server's keys, directly or from a script", async () => {
    const gateway = connect("gateway", passwords.gateway);
    await gateway.connect();
    await expect(gateway.hset("gatehouse:auth:registry:services", "orders", "{}")).rejects.toThrow(/NOPERM/);
    await expect(gateway.set("gatehouse:auth:registry:services", "x")).rejects.toThrow(/NOPERM/);
    await expect(gateway.eval("return redis.call('HSET', KEYS[1], 'orders', '{}')", 1, "gatehouse:auth:registry:services")).rejects.toThrow(/NOPERM|can't access/);
    await expect(gateway.publish("gatehouse:auth:registry:changed", "orders")).rejects.toThrow(/NOPERM/);
    await expect(gateway.flushall()).rejects.toThrow(/NOPERM/);
    await expect(gateway.call("ACL", "SETUSER", "gateway", "~*")).rejects.toThrow(/NOPERM/);
    await expect(gateway.config("SET", "dir", "/tmp")).rejects.toThrow(/NOPERM/);
    // Its own rate-limit keys and script are fine.
    expect(await gateway.eval("return redis.call('SET', KEYS[1], '1', 'PX', 1000)", 1, "gatehouse:rl:route:ip:1")).toBe("OK");
  });

  it("lets the auth server and the gateway append to the security event stream, and the console read it and nothing else", async () => {
    const auth = connect("auth-server", passwords["auth-server"]);
    const gateway = connect("gateway", passwords.gateway);
    const reader = connect("console", passwords.console);
    await Promise.all([auth.connect(), gateway.connect(), reader.connect()]);
    expect(await auth.xadd("gatehouse:events", "*", "e", "{}")).toMatch(/^\d+-\d+$/);
    expect(await gateway.xadd("gatehouse:events", "MAXLEN", "~", "100", "*", "e", "{}")).toMatch(/^\d+-\d+$/);
    expect(await auth.sadd("gatehouse:auth:seen-audiences", "orders https://inventory.internal")).toBe(1);
    // Neither writer may read the stream; the console reads and appends to it and touches no other key.
    await expect(gateway.xrange("gatehouse:events", "-", "+")).rejects.toThrow(/NOPERM/);
    expect(await reader.xrevrange("gatehouse:events", "+", "-", "COUNT", 1)).toHaveLength(1);
    expect(await reader.xread("COUNT", 10, "STREAMS", "gatehouse:events", "0-0")).toEqual([["gatehouse:events", expect.any(Array)]]);
    expect(await reader.xadd("gatehouse:events", "*", "e", "{}")).toMatch(/^\d+-\d+$/);
    await expect(reader.get("gatehouse:auth:registry:services")).rejects.toThrow(/NOPERM/);
    await expect(reader.set("gatehouse:rl:route:ip:1", "0")).rejects.toThrow(/NOPERM/);
    await expect(reader.del("gatehouse:events")).rejects.toThrow(/NOPERM/);
  });

  it("limits the auth server's user to its own prefix", async () => {
    const auth = connect("auth-server", passwords["auth-server"]);
    await auth.connect();
    await expect(auth.set("gatehouse:rl:route:ip:1", "0")).rejects.toThrow(/NOPERM/);
    await expect(auth.keys("*")).rejects.toThrow(/NOPERM/);
    expect(await auth.set("gatehouse:auth:probe", "1")).toBe("OK");
  });

  it("lets the auth server's user run everything it needs: the revocation feed's writes, snapshot and blocking reads", async () => {
    const auth = connect("auth-server", passwords["auth-server"]);
    await auth.connect();
    const store = new RedisRevocationStore(auth, "gatehouse:auth:", memoryLogger().logger);
    const seen: string[] = [];
    const unsubscribe = store.subscribe((record) => seen.push(record.revocation.value));
    try {
      // The blocking reader starts from the stream's end: let it get there before writing.
      await new Promise((r) => setTimeout(r, 500));
      const now = Math.floor(Date.now() / 1000);
      const added = await store.add({ revocation: { kind: "jti", value: "acl-probe", revokedAt: now, until: now + 60 }, actor: "tester", cause: "admin" }, 60);
      expect((await store.snapshot(now)).records.map((r) => r.revocation.value)).toContain("acl-probe");
      expect(await store.after(added.id)).toEqual([]);
      const deadline = Date.now() + 5_000;
      while (!seen.includes("acl-probe") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toContain("acl-probe");
    } finally {
      unsubscribe();
      await store.close();
    }
  });
});

describe("registry tamper evidence", () => {
  const log = memoryLogger();
  let started: Started;
  let orders: ServiceKey;
  let attacker: ServiceKey;
  const SERVICES = "gatehouse:auth:registry:services";

  beforeAll(async () => {
    orders = await serviceKey("orders-1");
    attacker = await serviceKey("attacker-1");
    started = await startServer(
      {
        keys: { generate: "memory" },
        issuance: { perSecond: 1000, burst: 1000 },
        services: {
          orders: { auth: { method: "private_key_jwt", jwks: { keys: [orders.publicJwk] } }, allow: { payments: ["payments:charge"] } },
          payments: { resource: "https://payments.internal", scopes: ["payments:charge"], auth: { method: "private_key_jwt", jwks: { keys: [orders.publicJwk] } } },
        },
      },
      // The auth server logs in as its own ACL user, with the default key prefix the ACL allows.
      { logger: log.logger, redisUrl: `redis://auth-server:${passwords["auth-server"]}@127.0.0.1:${port}`, redisKeyPrefix: "gatehouse:auth:" },
    );
  });

  afterAll(async () => {
    await started.server.close();
  });

  async function tokenAs(clientId: string, key: ServiceKey) {
    const response = await oauth.clientCredentialsGrantRequest(
      started.as,
      { client_id: clientId },
      oauth.PrivateKeyJwt(key.privateKey),
      { resource: "https://payments.internal", scope: "payments:charge" },
      PLAIN_HTTP,
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function refusedLine(service: string) {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const line = log.lines.find((l) => l["event"] === "registry.entry_refused" && l["service"] === service);
      if (line !== undefined) return line;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  it("works under its ACL user: registry, replay cache, throttle and ceiling all in Redis", async () => {
    expect((await tokenAs("orders", orders)).status).toBe(200);
  });

  it("refuses an entry a raw writer put into Redis, logs a security event and issues no token", async () => {
    const admin = connect("admin", passwords.admin);
    await admin.connect();
    const evil = { id: "evil", scopes: [], auth: { method: "private_key_jwt", jwks: { keys: [attacker.publicJwk] } }, allow: { payments: ["payments:charge"] }, attributes: {}, disabled: false };
    await admin.hset(SERVICES, "evil", JSON.stringify(evil));
    // An overwrite of a real service with the attacker's key, dressed as a sealed entry with a made-up MAC.
    const forged = { ...evil, id: "orders" };
    await admin.hset(SERVICES, "orders", JSON.stringify({ v: 1, entry: JSON.stringify(forged), mac: randomBytes(32).toString("base64url") }));
    await admin.publish("gatehouse:auth:registry:changed", "orders");

    expect(await refusedLine("evil")).toMatchObject({ security: true, level: 50, reason: "no valid MAC: not written by this auth server" });
    expect(await refusedLine("orders")).toMatchObject({ security: true, event: "registry.entry_refused" });
    for (const clientId of ["evil", "orders"]) {
      const answer = await tokenAs(clientId, attacker);
      expect({ clientId, ...answer }).toEqual({ clientId, status: 401, body: { error: "invalid_client", error_description: "client authentication failed" } });
    }
  });
});
