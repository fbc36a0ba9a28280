import { randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./helpers/backend.js";
import { createMemoryCgroup, residentMemory, type MemoryCgroup } from "./helpers/cgroup.js";
import { listening, startProcess, type GatewayProcess } from "./helpers/process.js";

// A flood of distinct valid tokens against a gateway process under a real memory cap (a cgroup v1 memory limit, the
// same 256 MiB and NODE_OPTIONS the compose file gives the gateway): every token is verified once, the verified-token
// cache (10,000 entries) churns, and the process must stay alive and inside the cap.

const LIMIT_BYTES = 256 * 1024 * 1024;
const NODE_OPTIONS = "--max-old-space-size=160";
const AUDIENCE = "https://orders.internal";
const TOKENS = 30_000;
const LARGE_TOKENS = 20_000;
/** Characters of padding that bring a token to about 7.5 KiB, under the verifier's 8,192-character ceiling. */
const LARGE_PADDING = 5_400;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-flood-"));
const started: GatewayProcess[] = [];
const cgroups: MemoryCgroup[] = [];

let jwks: Server;
let issuer: string;
let privateKey: CryptoKey;
let backend: Backend;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "flood", alg: "ES256", use: "sig" };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${String((jwks.address() as AddressInfo).port)}`;
  backend = await startBackend("orders", (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "2" }).end("{}");
  });
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  for (const cgroup of cgroups) await cgroup.remove();
  await backend.close();
  await new Promise((resolve) => jwks.close(resolve));
});

function configFile(verifier = "{ cacheSize: 10000 }"): string {
  const file = join(dir, "gateway.yaml");
  writeFileSync(
    file,
    `issuer: ${issuer}
jwksUri: ${issuer}/jwks
accessLog: false
verifier: ${verifier}
routes:
  - name: orders
    pathPrefix: /api/orders
    upstreams: [${backend.url}]
    audience: ${AUDIENCE}
    policy: { scopes: [orders:read] }
`,
  );
  return file;
}

/** A valid access token as the auth server issues it (RFC 9068), distinct by `jti`; `padding` characters more in an attribute. */
function mint(padding = 0): Promise<string> {
  return new SignJWT({
    client_id: "inventory",
    scope: "orders:read",
    jti: randomUUID(),
    "urn:gatehouse:attributes": { team: "logistics", environment: "prod", ...(padding > 0 ? { note: "x".repeat(padding) } : {}) },
  })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid: "flood" })
    .setIssuer(issuer)
    .setSubject("inventory")
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey);
}

async function launch(cgroup: MemoryCgroup, env: NodeJS.ProcessEnv, verifier?: string): Promise<{ gateway: GatewayProcess; url: string; adminUrl: string }> {
  // No Redis: the flood is about the verifier's memory, and limits in memory are bounded by localMaxKeys.
  const gateway = startProcess(["--config", configFile(verifier), "--port", "0", "--admin-port", "0"], env, { cgroupProcs: cgroup.procs });
  started.push(gateway);
  const line = await gateway.waitFor(listening, 30_000);
  return { gateway, url: `http://127.0.0.1:${String(line["port"])}`, adminUrl: `http://127.0.0.1:${String(line["adminPort"])}` };
}

/**
 * Sends `count` requests, each with a token of its own minted with `padding`, 16 at a time; returns the statuses
 * counted, the largest resident size sampled every 1,000 requests and the length of the last token.
 */
async function flood(url: string, pid: number, count: number, padding = 0): Promise<{ statuses: Record<number, number>; peakDuring: number; tokenLength: number }> {
  const agent = new Agent({ connections: 16 });
  const statuses: Record<number, number> = {};
  let next = 0;
  let peakDuring = 0;
  let tokenLength = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const token = await mint(padding);
      tokenLength = token.length;
      const answer = await request(`${url}/api/orders`, { dispatcher: agent, headers: { authorization: `Bearer ${token}` } });
      await answer.body.dump();
      statuses[answer.statusCode] = (statuses[answer.statusCode] ?? 0) + 1;
      if (next % 1000 === 0) peakDuring = Math.max(peakDuring, residentMemory(pid).rss);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await agent.close();
  return { statuses, peakDuring, tokenLength };
}

describe("memory under a flood of distinct tokens", () => {
  it(`stays alive and inside a ${String(LIMIT_BYTES / 2 ** 20)} MiB memory cap through ${String(TOKENS)} distinct valid tokens`, async () => {
    const cgroup = createMemoryCgroup("gatehouse-flood", LIMIT_BYTES);
    cgroups.push(cgroup);
    const { gateway, url, adminUrl } = await launch(cgroup, { NODE_OPTIONS });
    const pid = gateway.child.pid!;
    const { statuses, peakDuring } = await flood(url, pid, TOKENS);

    expect(statuses).toEqual({ 200: TOKENS });
    expect(gateway.child.exitCode).toBeNull();
    expect(cgroup.oomKills()).toBe(0);
    const metrics = await (await request(`${adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/^gatehouse_gateway_token_cache_total\{result="miss"\} 30000$/m);
    expect(metrics).toMatch(/^gatehouse_gateway_process_resident_memory_bytes \d+$/m);
    const { peak } = residentMemory(pid);
    // Inside the cap with room to spare: the heap limit keeps V8 from growing into the whole cgroup.
    expect(peak).toBeLessThan(LIMIT_BYTES * 0.9);
    expect(gateway.lines.some((l) => typeof l["msg"] === "string" && l["msg"].startsWith("V8's heap limit"))).toBe(false);
    console.log(`flood: ${String(TOKENS)} tokens, peak RSS ${String(Math.round(peak / 2 ** 20))} MiB, sampled ${String(Math.round(peakDuring / 2 ** 20))} MiB`);
    await gateway.stop();
  }, 300_000);

  // Tokens near the verifier's 8 KiB ceiling, and an entry bound no flood reaches: only the cache's byte bound
  // (`cacheMaxBytes`, 32 MiB by default) keeps 20,000 such tokens (about 14 KiB of heap each once verified) from
  // outgrowing the heap limit.
  it(`stays alive and inside the cap through ${String(LARGE_TOKENS)} distinct tokens of about 7.5 KiB, whatever the entry bound`, async () => {
    const cgroup = createMemoryCgroup("gatehouse-flood-large", LIMIT_BYTES);
    cgroups.push(cgroup);
    const { gateway, url, adminUrl } = await launch(cgroup, { NODE_OPTIONS }, "{ cacheSize: 1000000 }");
    const pid = gateway.child.pid!;
    const { statuses, tokenLength } = await flood(url, pid, LARGE_TOKENS, LARGE_PADDING);

    expect(tokenLength).toBeGreaterThan(7_000);
    expect(statuses).toEqual({ 200: LARGE_TOKENS });
    expect(gateway.child.exitCode).toBeNull();
    expect(cgroup.oomKills()).toBe(0);
    const metrics = await (await request(`${adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(new RegExp(`^gatehouse_gateway_token_cache_total\\{result="miss"\\} ${String(LARGE_TOKENS)}$`, "m"));
    expect(residentMemory(pid).peak).toBeLessThan(LIMIT_BYTES * 0.9);
    await gateway.stop();
  }, 300_000);

  it("warns at start when V8's heap limit exceeds 75% of the memory cap (no NODE_OPTIONS)", async () => {
    const cgroup = createMemoryCgroup("gatehouse-heap-warning", LIMIT_BYTES);
    cgroups.push(cgroup);
    const { gateway } = await launch(cgroup, {});
    const warning = await gateway.waitFor((l) => typeof l["msg"] === "string" && l["msg"].startsWith("V8's heap limit"));
    expect(warning).toMatchObject({ level: 40, memoryLimitBytes: LIMIT_BYTES });
    expect(warning["msg"]).toMatch(/set NODE_OPTIONS=--max-old-space-size=153 or lower$/);
    await gateway.stop();
  }, 60_000);
});
