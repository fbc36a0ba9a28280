// Redis Sentinel failover under load: a real master, replica and three sentinels; the gateway and
// the auth server (built, as operators start them) name the sentinels in REDIS_URL (a dead address
// first). The master is killed while both serve traffic; a replica is promoted and both services
// follow it by themselves. The test measures what docs/operations.md ("Redis high availability")
// states: how long each service runs without Redis, what it serves meanwhile, and what state survives.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplicationGroup, type ReplicationGroup } from "../helpers/redis-sentinel.js";
import { freePort, startService, type ServiceProcess } from "../helpers/services.js";

/** Failover must complete, for both services, within this (the documented bound). */
const WINDOW_BOUND_MS = 10_000;
const run = randomBytes(6).toString("hex");

let group: ReplicationGroup;
let dir: string;
let backend: Server;
let callerKey: CryptoKey;
let issuer: string;
let gatewayUrl: string;
let adminUrl: string;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  group = await startReplicationGroup({ downAfterMs: 1_000 });
  dir = mkdtempSync(join(tmpdir(), "gatehouse-failover-"));
  backend = createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const backendAddress = backend.address();
  const backendPort = typeof backendAddress === "object" && backendAddress !== null ? backendAddress.port : 0;

  const pair = await generateKeyPair("ES256", { extractable: true });
  callerKey = pair.privateKey;
  const callerJwk = { ...(await exportJWK(pair.publicKey)), kid: "caller-1", alg: "ES256", use: "sig" };
  const authPort = await freePort();
  issuer = `http://127.0.0.1:${authPort}`;
  writeFileSync(
    join(dir, "auth-server.json"),
    JSON.stringify({
      issuer,
      keys: { generate: "persist", dir: join(dir, "keys") },
      redis: { keyPrefix: `test:failover:${run}:auth:` },
      // The load asks for a token every 50 ms, above the default issuance ceiling: this test measures failover.
      issuance: { perSecond: 1000, burst: 1000 },
      services: {
        caller: { auth: { method: "private_key_jwt", jwks: { keys: [callerJwk] } }, allow: { backend: ["backend:read"] } },
        backend: { resource: "https://backend.internal", scopes: ["backend:read"], auth: { method: "private_key_jwt", jwks: { keys: [callerJwk] } } },
      },
    }),
  );
  const gatewayPort = await freePort();
  const adminPort = await freePort();
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  const route = (name: string, prefix: string, limit: number, windowSeconds: number) => ({
    name,
    pathPrefix: prefix,
    upstreams: [`http://127.0.0.1:${backendPort}`],
    audience: "https://backend.internal",
    policy: { scopes: ["backend:read"], services: ["caller"] },
    rateLimit: { limit, windowSeconds },
  });
  writeFileSync(
    join(dir, "gateway.json"),
    JSON.stringify({
      issuer,
      rateLimiting: { keyPrefix: `test:failover:${run}:rl:`, failureMode: "local", replicas: 1 },
      routes: [route("busy", "/api/busy", 1_000_000, 60), route("tight", "/api/tight", 3, 3600)],
    }),
  );
  const env = { REDIS_URL: group.url };
  services.push(await startService("auth-server", ["--config", join(dir, "auth-server.json"), "--port", String(authPort)], env, `${issuer}/readyz`));
  services.push(
    await startService("gateway", ["--config", join(dir, "gateway.json"), "--port", String(gatewayPort), "--admin-port", String(adminPort)], env, `${adminUrl}/readyz`),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await new Promise((resolve) => backend.close(resolve));
  await group.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** A fresh `private_key_jwt` assertion (or the given one again, to try a replay). */
function assertion(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: "caller-1" })
    .setIssuer("caller")
    .setSubject("caller")
    .setAudience(issuer)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(callerKey);
}

async function tokenRequest(clientAssertion: string): Promise<{ status: number; token?: string }> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      resource: "https://backend.internal",
      scope: "backend:read",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
    }),
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  if (response === undefined) return { status: 0 };
  const body = (await response.json().catch(() => ({}))) as { access_token?: string };
  return body.access_token === undefined ? { status: response.status } : { status: response.status, token: body.access_token };
}

async function call(path: string, token: string): Promise<number> {
  const response = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status ?? 0;
}

/** The gateway's rate-limit decisions so far, by source (`store`, `local`, …), from its /metrics. */
async function decisionsBySource(): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const totals: Record<string, number> = {};
  for (const match of text.matchAll(/^gatehouse_gateway_ratelimit_decisions_total\{([^}]*)\} (\d+(?:\.\d+)?)/gm)) {
    const source = /source="([^"]+)"/.exec(match[1] ?? "")?.[1] ?? "?";
    totals[source] = (totals[source] ?? 0) + Number(match[2]);
  }
  return totals;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Redis Sentinel failover under load", () => {
  it("the gateway and the auth server follow the promoted replica by themselves within the bound, losing nothing that had been replicated", async () => {
    const first = await tokenRequest(await assertion());
    expect(first.status).toBe(200);
    const token = first.token ?? "";
    // State written before the failure: the tight route's whole quota, and an assertion already used.
    for (let index = 0; index < 3; index += 1) expect(await call("/api/tight/x", token)).toBe(200);
    expect(await call("/api/tight/x", token)).toBe(429);
    const usedAssertion = await assertion();
    expect((await tokenRequest(usedAssertion)).status).toBe(200);
    await sleep(300); // replication is asynchronous: give it the moment it normally takes

    // Load: the gateway continuously, the token endpoint every 50 ms, until both have recovered.
    const gatewayAnswers: { at: number; status: number }[] = [];
    const tokenAnswers: { at: number; status: number }[] = [];
    let loading = true;
    const gatewayLoad = (async () => {
      while (loading) {
        const statuses = await Promise.all(Array.from({ length: 5 }, () => call("/api/busy/x", token)));
        for (const status of statuses) gatewayAnswers.push({ at: Date.now(), status });
        await sleep(10);
      }
    })();
    const tokenLoad = (async () => {
      while (loading) {
        const { status } = await tokenRequest(await assertion());
        tokenAnswers.push({ at: Date.now(), status });
        await sleep(50);
      }
    })();
    await sleep(1_000);

    const before = await decisionsBySource();
    const killedAt = Date.now();
    await group.master.kill();

    // Until the sentinels promote the replica, then until both services are back on Redis.
    let promotedAt: number | undefined;
    let gatewayBackAt: number | undefined;
    let storeAtKill = before["store"] ?? 0;
    const deadline = killedAt + 20_000;
    while (Date.now() < deadline && (promotedAt === undefined || gatewayBackAt === undefined)) {
      await sleep(100);
      if (promotedAt === undefined && (await group.currentMasterPort()) === group.replica.port) promotedAt = Date.now();
      const now = await decisionsBySource();
      // The gateway is back once store decisions grow again after a pause in them.
      if ((now["local"] ?? 0) > (before["local"] ?? 0) && (now["store"] ?? 0) > storeAtKill && gatewayBackAt === undefined) gatewayBackAt = Date.now();
      if ((now["local"] ?? 0) === (before["local"] ?? 0)) storeAtKill = now["store"] ?? 0;
    }
    // Keep the load a moment longer so the token endpoint's recovery is seen too.
    await sleep(1_000);
    loading = false;
    await Promise.all([gatewayLoad, tokenLoad]);
    const after = await decisionsBySource();

    const afterKill = tokenAnswers.filter((answer) => answer.at > killedAt);
    const lastTokenFailure = afterKill.filter((answer) => answer.status !== 200).at(-1);
    const tokenBackAt = lastTokenFailure === undefined ? killedAt : (afterKill.find((answer) => answer.at > lastTokenFailure.at && answer.status === 200)?.at ?? Number.NaN);
    const figures = {
      promotedAfterMs: promotedAt === undefined ? undefined : promotedAt - killedAt,
      gatewayOnRedisAgainAfterMs: gatewayBackAt === undefined ? undefined : gatewayBackAt - killedAt,
      gatewayRequestsDecidedLocally: (after["local"] ?? 0) - (before["local"] ?? 0),
      gatewayRequestsNot200: gatewayAnswers.filter((answer) => answer.status !== 200).length,
      gatewayRequestsInAll: gatewayAnswers.length,
      tokenEndpointBackAfterMs: tokenBackAt - killedAt,
      tokenRequestsRefusedMeanwhile: afterKill.filter((answer) => answer.status !== 200).map((answer) => answer.status),
    };
    console.log(`failover figures: ${JSON.stringify(figures)}`);

    expect(promotedAt, "the sentinels promoted the replica").toBeDefined();
    // The gateway serves every request meanwhile, deciding limits in process (failure mode `local`)…
    expect(figures.gatewayRequestsNot200).toBe(0);
    expect(figures.gatewayRequestsDecidedLocally).toBeGreaterThan(0);
    // …and both services are back on Redis within the bound, by themselves.
    expect(figures.gatewayOnRedisAgainAfterMs).toBeLessThan(WINDOW_BOUND_MS);
    expect(figures.tokenEndpointBackAfterMs).toBeLessThan(WINDOW_BOUND_MS);
    // The token endpoint refuses assertions it cannot check for replay (503), never issues unchecked.
    for (const status of figures.tokenRequestsRefusedMeanwhile) expect(status).toBe(503);

    // What had been replicated survives: the spent quota and the used assertion.
    expect(await call("/api/tight/x", token)).toBe(429);
    expect((await tokenRequest(usedAssertion)).status).toBe(401);
  }, 60_000);
});
