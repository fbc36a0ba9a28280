// The benchmark's transport identities: the trust bundle of an auth server with its CA, and the certificates (made by
// the SDK's createServiceIdentity: keys made here, never sent) of the gateway, HAProxy (the same certificate as the
// gateway, so the origin lets both in) and the calling service, with a token bound to the caller's certificate.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createServiceIdentity, createTokenSource, type ServiceIdentity, type TokenSource } from "@gatehouse/sdk";
import { Agent, fetch } from "undici";
import { benchIdentity, type AuthServer, type GetJson } from "../../gateway/lib/auth.js";

const run = promisify(execFile);

/** The trust domain of every certificate in the benchmark. */
export const trustDomain = "bench.test";
/** The gateway's service id and the variable holding its secret (a registered service, for its certificates). */
export const gatewayService = { id: "gateway", secretEnv: "BENCH_GATEWAY_SECRET" } as const;
/** The DNS name the gateway's and the origin's certificates carry; the load connects to 127.0.0.1 and verifies it. */
export const serverName = "localhost";

/** The registry entries and settings the TLS benchmark adds to the auth server of `bench/gateway`. */
export function tlsRegistry(): Record<string, Record<string, unknown>> {
  return {
    [gatewayService.id]: { auth: { method: "client_secret_basic", secretEnv: gatewayService.secretEnv }, dnsNames: [serverName] },
    [benchIdentity.target]: { dnsNames: [serverName] },
    [benchIdentity.client]: { certificateBoundTokens: true },
  };
}

/**
 * The auth server's trust bundle, fetched once over 127.0.0.1 without verifying its listener (whose CA is made at
 * its start): the bootstrap an operator does over a channel they trust. Written to `file`.
 */
export async function fetchTrustBundle(issuer: string, file: string): Promise<string> {
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  try {
    const response = await fetch(`${issuer}/trust-bundle.pem`, { dispatcher: insecure, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (response.status !== 200 || !text.includes("BEGIN CERTIFICATE")) throw new Error(`trust bundle: HTTP ${String(response.status)} ${text.slice(0, 200)}`);
    await writeFile(file, text);
    return text;
  } finally {
    await insecure.close();
  }
}

/** A certificate and its key on disk: PEM files, and both in one file (HAProxy's `crt`). */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pemFile: string;
  readonly cert: string;
  readonly key: string;
}

/** The identities of one run: held (and renewed) by this process until `close`. */
export interface BenchPki {
  readonly bundleFile: string;
  readonly bundle: string;
  readonly gateway: CertificateFiles;
  readonly client: CertificateFiles;
  /** A token for the origin's audience bound to `client`'s certificate (`cnf.x5t#S256`). */
  readonly boundToken: string;
  close(): void;
}

async function writeIdentity(identity: ServiceIdentity, dir: string, name: string): Promise<CertificateFiles> {
  const { cert, key } = identity.tlsOptions();
  const files = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`), pemFile: join(dir, `${name}-with-key.pem`) };
  await writeFile(files.certFile, cert);
  await writeFile(files.keyFile, key, { mode: 0o600 });
  await writeFile(files.pemFile, `${cert.trimEnd()}\n${key}`, { mode: 0o600 });
  return { ...files, cert, key };
}

/** Certificates for the gateway and the caller from `auth`'s CA, written to `dir`, and the caller's bound token. */
export async function issueIdentities(auth: AuthServer, dir: string, bundleFile: string, gatewaySecret: string): Promise<BenchPki> {
  const gateway = createServiceIdentity({ issuer: auth.issuer, clientId: gatewayService.id, auth: { method: "client_secret_basic", clientSecret: gatewaySecret }, trustBundle: bundleFile });
  const clientAuth = { method: "client_secret_basic" as const, clientSecret: auth.clientSecret };
  const client = createServiceIdentity({ issuer: auth.issuer, clientId: benchIdentity.client, auth: clientAuth, trustBundle: bundleFile });
  let tokens: TokenSource | undefined;
  try {
    await Promise.all([gateway.ready(), client.ready()]);
    tokens = createTokenSource({ issuer: auth.issuer, clientId: benchIdentity.client, auth: clientAuth, identity: client });
    const boundToken = await tokens.getToken({ resource: benchIdentity.audience, scopes: [benchIdentity.scope] });
    const claims = JSON.parse(Buffer.from(boundToken.split(".")[1] ?? "", "base64url").toString("utf8")) as { cnf?: Record<string, unknown> };
    if (typeof claims.cnf?.["x5t#S256"] !== "string") throw new Error("the caller's token is not bound to its certificate (no cnf.x5t#S256)");
    const source = tokens;
    return {
      bundleFile,
      bundle: client.tlsOptions().ca,
      gateway: await writeIdentity(gateway, dir, "gateway"),
      client: await writeIdentity(client, dir, "client"),
      boundToken,
      close() {
        source.close();
        gateway.close();
        client.close();
      },
    };
  } catch (error) {
    tokens?.close();
    gateway.close();
    client.close();
    throw error;
  }
}

/**
 * `count` PKCS#10 CSRs (ECDSA P-256, made by openssl) of the caller, base64 DER one a line in `file`: the fixed
 * set the issuance measurement cycles through.
 */
export async function makeCsrs(count: number, file: string): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, () =>
      run("sh", ["-c", `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=${benchIdentity.client} -outform DER | openssl base64 -A`]),
    );
    for (const { stdout } of await Promise.all(batch)) lines.push(stdout.trim());
  }
  await writeFile(file, `${lines.join("\n")}\n`);
}

/** A JSON GET over TLS trusting only `ca` (the auth server's JWKS, for HAProxy's key file). */
export function trustingGetJson(ca: string): GetJson {
  return async (url) => {
    const agent = new Agent({ connect: { ca } });
    try {
      return await (await fetch(url, { dispatcher: agent, signal: AbortSignal.timeout(10_000) })).json();
    } finally {
      await agent.close();
    }
  };
}
