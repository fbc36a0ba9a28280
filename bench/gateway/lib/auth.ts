import { createPublicKey, randomBytes, type JsonWebKey } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serversDir } from "../paths.js";
import { waitForHttp } from "./net.js";
import type { ProcessGroup, Started } from "../../lib/processes.js";

/** The registry the benchmark runs against: one caller, one target. */
export const benchIdentity = {
  client: "bench-client",
  target: "bench-origin",
  audience: "https://bench-origin.internal",
  scope: "bench:read",
  attributes: { environment: "bench", team: "perf" },
} as const;

/** A running auth server and the credentials of the benchmark's calling service. */
export interface AuthServer {
  readonly process: Started;
  readonly issuer: string;
  readonly clientSecret: string;
  /** The secret of the origin's service (`benchIdentity.target`), for its own certificate. */
  readonly originSecret: string;
}

/**
 * What a benchmark adds to the auth server of this one: top-level settings (`trustDomain`, `ca`, `tls`,
 * `certificates`, …), registry entries merged over the two services here (same id: fields merged), their secrets.
 * With `tls` the issuer is `https://127.0.0.1:<port>`.
 */
export interface AuthServerExtension {
  readonly name?: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly services?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly env?: Readonly<Record<string, string>>;
}

/** Writes the registry, starts `servers/auth.js` (a real `createAuthServer`) and waits for discovery. */
export async function startAuthServer(group: ProcessGroup, dir: string, port: number, tokenTtlSeconds: number, extension: AuthServerExtension = {}): Promise<AuthServer> {
  const clientSecret = randomBytes(24).toString("base64url");
  const originSecret = randomBytes(24).toString("base64url");
  const base: Record<string, Record<string, unknown>> = {
    [benchIdentity.target]: {
      resource: benchIdentity.audience,
      scopes: [benchIdentity.scope],
      auth: { method: "client_secret_basic", secretEnv: "BENCH_ORIGIN_SECRET" },
    },
    [benchIdentity.client]: {
      auth: { method: "client_secret_basic", secretEnv: "BENCH_CLIENT_SECRET" },
      allow: { [benchIdentity.target]: [benchIdentity.scope] },
      attributes: benchIdentity.attributes,
    },
  };
  const services = { ...base };
  for (const [id, entry] of Object.entries(extension.services ?? {})) services[id] = { ...services[id], ...entry };
  // The fresh-token ring is minted up front: far above the default issuance ceiling (5 a second per client and resource).
  const config = { keys: { generate: "memory" }, tokens: { ttlSeconds: tokenTtlSeconds }, issuance: { perSecond: 1_000_000, burst: 1_000_000 }, ...extension.settings, services };
  const name = extension.name ?? "auth-server";
  const file = join(dir, `${name}.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  const started = group.spawn({
    name,
    command: process.execPath,
    args: [join(serversDir, "auth.js"), String(port), file],
    env: {
      ...process.env,
      BENCH_CLIENT_SECRET: clientSecret,
      BENCH_ORIGIN_SECRET: originSecret,
      ...extension.env,
    },
  });
  const secure = extension.settings?.["tls"] !== undefined;
  const issuer = `${secure ? "https" : "http"}://127.0.0.1:${port}`;
  await waitForHttp(`${issuer}/.well-known/oauth-authorization-server`, started, 20_000, secure ? { rejectUnauthorized: false } : undefined);
  return { process: started, issuer, clientSecret, originSecret };
}

/** One client_credentials token request (RFC 6749 §4.4) with client_secret_basic and a resource indicator. */
async function mintOne(auth: AuthServer): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(benchIdentity.client)}:${encodeURIComponent(auth.clientSecret)}`).toString("base64");
  const response = await fetch(`${auth.issuer}/token`, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", resource: benchIdentity.audience, scope: benchIdentity.scope }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${text}`);
  const body = JSON.parse(text) as { access_token?: unknown };
  if (typeof body.access_token !== "string") throw new Error(`token response without access_token: ${text}`);
  return body.access_token;
}

/** Mints `count` distinct tokens, `concurrency` requests at a time. */
export async function mintTokens(auth: AuthServer, count: number, concurrency = 8): Promise<string[]> {
  const tokens: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      tokens.push(await mintOne(auth));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return tokens;
}

/** A GET answering its body parsed as JSON (over TLS with a trust bundle for an HTTPS auth server). */
export type GetJson = (url: string) => Promise<unknown>;

const getJson: GetJson = async (url) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json();

/**
 * The public key that signed `token`, from the auth server's JWKS, as an SPKI PEM file (what
 * HAProxy's `jwt_verify` reads).
 */
export async function writeSigningKeyPem(auth: AuthServer, token: string, file: string, get: GetJson = getJson): Promise<void> {
  const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid?: string };
  const jwks = (await get(`${auth.issuer}/jwks`)) as { keys: (JsonWebKey & { kid?: string })[] };
  const jwk = jwks.keys.find((key) => key.kid === header.kid);
  if (jwk === undefined) throw new Error(`the JWKS has no key ${String(header.kid)}`);
  const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
  await writeFile(file, pem);
}
