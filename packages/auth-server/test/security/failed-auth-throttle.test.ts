import { randomUUID } from "node:crypto";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryLogger, PLAIN_HTTP, startServer, type Started } from "../helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

// Failed-authentication throttling slows guessing and never denies a caller that proves its
// identity: budgets are per (client, real source address) and per source for unknown clients,
// check-and-count is atomic, and X-Forwarded-For counts only from a trusted proxy.

const SECRET = "payments-secret-0123456789abcdef";
const LIMIT = 10;

const registry = {
  payments: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { ledger: ["ledger:read"] } },
  reports: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { ledger: ["ledger:read"] } },
  ledger: { resource: "https://ledger.internal", scopes: ["ledger:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
};

function config(trustedProxies: string[]) {
  // The issuance ceiling is out of the way: these tests count authentications, not tokens.
  return {
    keys: { generate: "memory" },
    http: { trustedProxies },
    throttle: { maxFailures: LIMIT, windowSeconds: 60 },
    issuance: { perSecond: 100_000, burst: 100_000 },
    services: registry,
  };
}

async function ask(started: Started, clientId: string, secret: string, forwardedFor?: string) {
  const response = await oauth.clientCredentialsGrantRequest(
    started.as,
    { client_id: clientId },
    oauth.ClientSecretBasic(secret),
    { resource: "https://ledger.internal", scope: "ledger:read" },
    { ...PLAIN_HTTP, headers: new Headers(forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor }) },
  );
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
}

describe("behind a trusted proxy, with the counters in Redis", () => {
  const log = memoryLogger();
  let started: Started;

  beforeAll(async () => {
    started = await startServer(config(["127.0.0.1"]), { env: { SECRET }, logger: log.logger, redisUrl: REDIS_URL, redisKeyPrefix: `test:throttle:${randomUUID()}:` });
  });

  afterAll(async () => {
    await started.server.close();
  });

  it("evaluates exactly maxFailures of 1,000 concurrent wrong secrets; the rest answer 429 with Retry-After", async () => {
    const answers = await Promise.all(Array.from({ length: 1000 }, () => ask(started, "payments", "guess", "198.51.100.7")));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1000 - LIMIT);
    const refused = answers.find((a) => a.status === 429)!;
    expect(Number(refused.retryAfter)).toBeGreaterThan(50);
    expect(refused.body).toEqual({ error: "temporarily_unavailable", error_description: "too many failed client authentications; retry later" });
    const evaluated = log.lines.filter((l) => l["event"] === "client_auth.failed" && l["client"] === "payments" && l["remote"] === "198.51.100.7");
    expect(evaluated).toHaveLength(LIMIT);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ event: "token.refused", client: "payments", status: 429, remote: "198.51.100.7", reason: "too many failed authentications of this client from this address" }),
    );
  });

  it("still issues tokens to a valid client at the attacker's address, and to the attacked client elsewhere", async () => {
    expect((await ask(started, "reports", SECRET, "198.51.100.7")).status).toBe(200);
    expect((await ask(started, "payments", SECRET, "198.51.100.8")).status).toBe(200);
    expect((await ask(started, "payments", SECRET)).status).toBe(200);
  });

  it("never throttles a valid client for its own successes, sequential or concurrent", async () => {
    for (let i = 0; i < LIMIT * 2; i++) expect((await ask(started, "reports", SECRET, "198.51.100.20")).status).toBe(200);
    const concurrent = await Promise.all(Array.from({ length: LIMIT * 5 }, () => ask(started, "reports", SECRET, "198.51.100.21")));
    expect(concurrent.map((a) => a.status)).toEqual(Array<number>(LIMIT * 5).fill(200));
  });

  it("limits unknown client ids per source address without touching registered clients there", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await ask(started, `nobody-${i}`, "guess", "192.0.2.77")).status).toBe(401);
    const locked = await ask(started, "nobody-else", "guess", "192.0.2.77");
    expect(locked.status).toBe(429);
    expect(log.lines).toContainEqual(expect.objectContaining({ event: "token.refused", status: 429, remote: "192.0.2.77", reason: "too many failed client authentications from this address" }));
    expect((await ask(started, "reports", SECRET, "192.0.2.77")).status).toBe(200);
  });

  it("takes the right-most untrusted X-Forwarded-For hop, never the left-most one the client wrote", async () => {
    await ask(started, "payments", "guess", "203.0.113.1, 198.51.100.30");
    expect(log.lines.at(-1)).toMatchObject({ event: "client_auth.failed", remote: "198.51.100.30" });
  });
});

describe("without a trusted proxy", () => {
  const log = memoryLogger();
  let started: Started;

  beforeAll(async () => {
    started = await startServer(config([]), { env: { SECRET }, logger: log.logger });
  });

  afterAll(async () => {
    await started.server.close();
  });

  it("ignores X-Forwarded-For: a new spoofed address per request buys no new budget", async () => {
    const answers = [];
    for (let i = 0; i < LIMIT + 3; i++) answers.push((await ask(started, "payments", "guess", `203.0.113.${i + 1}`)).status);
    expect(answers).toEqual([...Array<number>(LIMIT).fill(401), 429, 429, 429]);
    expect(log.lines.filter((l) => l["event"] === "client_auth.failed").every((l) => l["remote"] === "127.0.0.1")).toBe(true);
  });

  it("evaluates exactly maxFailures of concurrent wrong secrets in memory too", async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => ask(started, "reports", "guess")));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(LIMIT);
  });
});

describe("the admin API", () => {
  const ADMIN_TOKEN = "admin-credential-0123456789abcdef0123456789";
  const log = memoryLogger();
  let started: Started;

  beforeAll(async () => {
    started = await startServer(
      { ...config(["127.0.0.1"]), admin: { enabled: true, port: 0 } },
      { env: { SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }, logger: log.logger },
    );
  });

  afterAll(async () => {
    await started.server.close();
  });

  const list = (credential: string, forwardedFor: string) =>
    fetch(`http://127.0.0.1:${started.adminPort!}/admin/services`, { headers: { authorization: `Bearer ${credential}`, "x-forwarded-for": forwardedFor } });

  it("throttles failed admin authentications per real source address and audits that address", async () => {
    const statuses = await Promise.all(Array.from({ length: LIMIT + 5 }, async () => (await list("wrong-credential", "198.51.100.60")).status));
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    const locked = await list("wrong-credential", "198.51.100.60");
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(await locked.json()).toMatchObject({ error: "temporarily_unavailable" });
    expect(log.lines).toContainEqual(expect.objectContaining({ event: "admin.unauthorized", remote: "198.51.100.60", error: "too_many_failures" }));
    expect(log.lines).toContainEqual(expect.objectContaining({ event: "admin.unauthorized", remote: "198.51.100.60", error: "admin_unauthorized" }));
    expect((await list(ADMIN_TOKEN, "198.51.100.61")).status).toBe(200);
  });
});
