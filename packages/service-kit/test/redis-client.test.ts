import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisClient, parseRedisUrl, redisTargetFromEnv, formatRedisUrl, waitForRedis } from "../src/index.js";
import { freePort, RedisProcess } from "./helpers/redis-processes.js";

const clients: Redis[] = [];
function client(...args: Parameters<typeof createRedisClient>): Redis {
  const created = createRedisClient(...args);
  clients.push(created);
  return created;
}
afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe("REDIS_URL", () => {
  it("reads one server, with TLS, database and credentials", () => {
    expect(parseRedisUrl("rediss://app:p%40ss@redis.internal:6380/2")).toEqual({
      kind: "server",
      host: "redis.internal",
      port: 6380,
      tls: true,
      db: 2,
      username: "app",
      password: "p@ss",
    });
    expect(parseRedisUrl("redis://[::1]")).toMatchObject({ kind: "server", host: "::1", port: 6379, tls: false, db: 0 });
  });

  it("reads a sentinel list and the master's name, 26379 when a port is left out", () => {
    expect(parseRedisUrl("redis+sentinel://s1:26380, s2 ,[::1]:26381/mymaster/1")).toEqual({
      kind: "sentinel",
      sentinels: [
        { host: "s1", port: 26_380 },
        { host: "s2", port: 26_379 },
        { host: "::1", port: 26_381 },
      ],
      name: "mymaster",
      db: 1,
      username: undefined,
      password: undefined,
    });
  });

  it("names what is wrong without echoing a password", () => {
    expect(() => parseRedisUrl("http://x")).toThrow("REDIS_URL must be a redis://, rediss:// or redis+sentinel://host:port,host:port/mastername URL");
    expect(() => parseRedisUrl("redis+sentinel://s1:26379")).toThrow("REDIS_URL must be a redis://, rediss:// or redis+sentinel://");
    expect(() => parseRedisUrl("redis+sentinel://s1:99999/m")).toThrow('REDIS_URL: "s1:99999" is not a host[:port] sentinel address');
    expect(() => parseRedisUrl("redis://:secret@h/x")).toThrow('REDIS_URL: the path must be a database number, got "x"');
    expect(() => parseRedisUrl("redis://:secret@h/x")).not.toThrow(/secret/);
  });

  it("adds REDIS_USERNAME and the password from REDIS_PASSWORD_FILE, refusing them twice", () => {
    const dir = mkdtempSync(join(tmpdir(), "service-kit-"));
    try {
      const file = join(dir, "password");
      writeFileSync(file, "s3cr:t/@x\n");
      const target = redisTargetFromEnv({ REDIS_URL: "redis+sentinel://a:1,b:2/m", REDIS_USERNAME: "gateway", REDIS_PASSWORD_FILE: file });
      expect(target).toMatchObject({ kind: "sentinel", username: "gateway", password: "s3cr:t/@x" });
      expect(target === undefined ? "" : formatRedisUrl(target)).toBe("redis+sentinel://gateway:s3cr%3At%2F%40x@a:1,b:2/m");
      expect(parseRedisUrl("redis+sentinel://gateway:s3cr%3At%2F%40x@a:1,b:2/m")).toEqual(target);
      expect(() => redisTargetFromEnv({ REDIS_URL: "redis://u@h", REDIS_USERNAME: "v" })).toThrow("REDIS_URL already holds a user name; drop it or REDIS_USERNAME");
      expect(() => redisTargetFromEnv({ REDIS_USERNAME: "v" })).toThrow("REDIS_USERNAME is set but REDIS_URL is not");
      expect(() => redisTargetFromEnv({ REDIS_URL: "redis://h", REDIS_USERNAME: "a b" })).toThrow("REDIS_USERNAME must be one word");
      expect(redisTargetFromEnv({})).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("createRedisClient against an ACL user on a Redis of the test's own", () => {
  let redis: RedisProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "service-kit-acl-"));
    const aclFile = join(dir, "users.acl");
    // The default user is off: only the named user, limited to its prefix and three commands, gets in.
    writeFileSync(aclFile, ["user default off", "user limiter on >limiter-password ~rl:* resetchannels -@all +get +set +ping +info", ""].join("\n"));
    redis = await RedisProcess.server(["--aclfile", aclFile], { username: "limiter", password: "limiter-password" });
  });
  afterAll(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in as REDIS_USERNAME with the password from REDIS_PASSWORD_FILE and gets only what the ACL grants", async () => {
    const file = join(dir, "password");
    writeFileSync(file, "limiter-password\n");
    const target = redisTargetFromEnv({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, REDIS_USERNAME: "limiter", REDIS_PASSWORD_FILE: file });
    if (target === undefined) throw new Error("no target");
    const c = client(target, { name: "test" });
    expect(await waitForRedis(c, 5_000)).toBe(true);
    expect(await c.set("rl:a", "1")).toBe("OK");
    expect(await c.get("rl:a")).toBe("1");
    await expect(c.set("registry:a", "1")).rejects.toThrow(/NOPERM/);
    await expect(c.del("rl:a")).rejects.toThrow(/NOPERM/);
  });

  it("never becomes ready with a wrong password, and a call fails at once instead of waiting in a queue", async () => {
    const c = client(`redis://limiter:wrong@127.0.0.1:${redis.port}`, { name: "test" });
    expect(await waitForRedis(c, 1_000)).toBe(false);
    const started = performance.now();
    await expect(c.get("rl:a")).rejects.toThrow(/enableOfflineQueue/);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe("createRedisClient through Redis Sentinel", () => {
  const processes: RedisProcess[] = [];
  let master: RedisProcess;
  let replica: RedisProcess;
  let sentinel: RedisProcess;
  beforeAll(async () => {
    master = await RedisProcess.server();
    processes.push(master);
    replica = await RedisProcess.server(["--replicaof", "127.0.0.1", String(master.port)]);
    processes.push(replica);
    sentinel = await RedisProcess.sentinel("gatehouse-test", master.port);
    processes.push(sentinel);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
  });

  it("reaches the master through a sentinel list whose first entry is dead", async () => {
    const dead = await freePort();
    const c = client(`redis+sentinel://127.0.0.1:${dead},127.0.0.1:${sentinel.port}/gatehouse-test`, { name: "test" });
    expect(await waitForRedis(c, 10_000)).toBe(true);
    const role = (await c.call("ROLE")) as unknown[];
    expect(role[0]).toBe("master");
    expect(await c.config("GET", "port")).toEqual(["port", String(master.port)]);
    expect(await c.set("gatehouse-test:sentinel", "written")).toBe("OK");
  });

  it("fails, never silently, when no sentinel knows the master's name", async () => {
    const c = client(`redis+sentinel://127.0.0.1:${sentinel.port}/no-such-master`, { name: "test" });
    expect(await waitForRedis(c, 1_500)).toBe(false);
    await expect(c.get("x")).rejects.toThrow();
  });
});
