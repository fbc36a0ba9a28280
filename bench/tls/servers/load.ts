// The TLS load generator: wrk cannot present a client certificate, so this one does, used identically for every
// proxy. undici `Pool` with one connection per in-flight request, fixed concurrency, keep-alive (or a new connection
// with a full handshake per request), latencies in a node:perf_hooks histogram.
// Usage: node load.js <spec.json>; prints one `LOAD_JSON {…}` line (see ../lib/load-spec.ts).
import { readFileSync } from "node:fs";
import { createHistogram, performance } from "node:perf_hooks";
import { createServiceIdentity, createTokenSource, type IdentityTlsOptions } from "@gatehouse/sdk";
import { Pool } from "undici";
import { RESULT_PREFIX, type LoadResult, type LoadSpec } from "../lib/load-spec.js";

const spec = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as LoadSpec;
const url = new URL(spec.url);
const path = `${url.pathname}${url.search}`;
const bodies = spec.bodiesFile === undefined ? [undefined] : readFileSync(spec.bodiesFile, "utf8").split("\n").filter((line) => line !== "");
const ca = readFileSync(spec.tls.caFile, "utf8");

function makePool(credentials: { key?: string; cert?: string }): Pool {
  return new Pool(url.origin, {
    connections: spec.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    // Handshake cost is measured without session resumption: every new connection is a full handshake.
    connect: { ca, ...credentials, maxCachedSessions: 0, ...(spec.tls.servername === undefined ? {} : { servername: spec.tls.servername }) },
  });
}

/** The connection pool and the token of the current certificate (swapped together on a renewal). */
let current: { pool: Pool; authorization?: string };
let rotations = 0;
let closeIdentity = (): void => undefined;
if (spec.identity === undefined) {
  const { certFile, keyFile } = spec.tls;
  current = { pool: makePool(certFile === undefined || keyFile === undefined ? {} : { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") }) };
} else {
  const { issuer, clientId, secretEnv, resource, scope } = spec.identity;
  const auth = { method: "client_secret_basic" as const, clientSecret: process.env[secretEnv] ?? "" };
  const identity = createServiceIdentity({ issuer, clientId, auth, trustBundle: spec.tls.caFile });
  await identity.ready();
  const request = { resource, scopes: [scope] };
  // One token source per certificate: its tokens are bound to the certificate it was made with.
  let tokens = createTokenSource({ issuer, clientId, auth, identity });
  const token = await tokens.getToken(request);
  current = { pool: makePool(identity.tlsOptions()), authorization: `Bearer ${token}` };
  // A renewed certificate needs a token bound to it: the old pair serves until the new pair is complete.
  const renew = async (tls: IdentityTlsOptions): Promise<void> => {
    const previous = { ...current, tokens };
    tokens = createTokenSource({ issuer, clientId, auth, identity });
    const fresh = await tokens.getToken(request);
    current = { pool: makePool(tls), authorization: `Bearer ${fresh}` };
    rotations += 1;
    setTimeout(() => {
      previous.tokens.close();
      void previous.pool.close();
    }, 5_000).unref();
  };
  identity.onRotate((tls) => {
    renew(tls).catch((error: unknown) => console.error(`renewal of the load's credentials failed: ${String(error)}`));
  });
  closeIdentity = () => {
    tokens.close();
    identity.close();
  };
}

const histogram = createHistogram();
const failures: Record<string, number> = {};
let measuring = false;
let running = true;
let answered = 0;
let non2xx = 0;
let socketErrors = 0;
let next = 0;

function fail(key: string): void {
  failures[key] = (failures[key] ?? 0) + 1;
}

async function worker(): Promise<void> {
  while (running) {
    const body = bodies[next++ % bodies.length];
    const { pool, authorization } = current;
    const headers = authorization === undefined ? spec.headers : { ...spec.headers, authorization };
    const start = performance.now();
    try {
      const response = await pool.request({ path, method: spec.method, headers, ...(body === undefined ? {} : { body }), reset: spec.newConnectionPerRequest, headersTimeout: 10_000, bodyTimeout: 10_000 });
      const text = await response.body.text();
      if (!measuring) continue;
      answered += 1;
      histogram.record(Math.max(1, Math.round((performance.now() - start) * 1_000)));
      if (response.statusCode !== spec.expectStatus) {
        non2xx += 1;
        fail(`HTTP ${String(response.statusCode)} ${text.slice(0, 120)}`);
      }
    } catch (error) {
      if (measuring) {
        socketErrors += 1;
        fail(error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error));
      }
      // A refused connection fails at once: do not spin.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const workers = Array.from({ length: spec.connections }, worker);
await new Promise((resolve) => setTimeout(resolve, spec.warmupSec * 1_000));
measuring = true;
const from = performance.now();
await new Promise((resolve) => setTimeout(resolve, spec.durationSec * 1_000));
measuring = false;
const seconds = (performance.now() - from) / 1_000;
running = false;
await Promise.all(workers);
await current.pool.close();
closeIdentity();

const percentile = (p: number) => (answered === 0 ? 0 : histogram.percentile(p) / 1_000);
const result: LoadResult = {
  requests: answered,
  seconds,
  rps: answered / seconds,
  p50Ms: percentile(50),
  p90Ms: percentile(90),
  p99Ms: percentile(99),
  maxMs: answered === 0 ? 0 : histogram.max / 1_000,
  non2xx,
  socketErrors,
  failures,
  rotations,
};
console.log(`${RESULT_PREFIX}${JSON.stringify(result)}`);
