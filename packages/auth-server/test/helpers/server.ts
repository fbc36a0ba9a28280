import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, exportJWK, type CryptoKey, type JWK } from "jose";
import * as oauth from "oauth4webapi";
import { pino } from "pino";
import { createAuthServer, parseAuthServerConfig, type AuthServer, type AuthServerDeps } from "../../src/index.js";

/** oauth4webapi options for the test servers, which listen on plain http://127.0.0.1. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the marker exists for exactly this: local servers without TLS
export const PLAIN_HTTP = { [oauth.allowInsecureRequests]: true } as const;

/** A logger that keeps every line in memory, for asserting audit events. */
export function memoryLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug", base: {} },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

/**
 * A registry MAC key file (`keys.registryMacKeyFile`) for servers that share one Redis, as every
 * replica of a deployment shares it; servers with per-process keys refuse each other's entries.
 */
export function sharedRegistryMacKeyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "gatehouse-registry-mac-")), "registry-mac.key");
  writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  return file;
}

export interface ServiceKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A service key pair as `gatehouse-auth service keygen` makes one. */
export async function serviceKey(kid: string): Promise<ServiceKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  return { privateKey, publicJwk };
}

export interface Started {
  readonly server: AuthServer;
  readonly issuer: string;
  readonly port: number;
  /** The admin listener's port when `admin.port` is configured. */
  readonly adminPort: number | undefined;
  readonly as: oauth.AuthorizationServer;
}

/**
 * Starts a real server on port 0 from a config value and discovers it with oauth4webapi. Without a
 * `ca` section the server's CA lives in memory (nothing is written to the working directory).
 */
export async function startServer(config: unknown, deps: AuthServerDeps = {}): Promise<Started> {
  const withCa = typeof config === "object" && config !== null && !("ca" in config) ? { ...config, ca: { generate: "memory" } } : config;
  const server = createAuthServer(parseAuthServerConfig(withCa, "test.yaml"), { logger: memoryLogger().logger, ...deps });
  const { port, issuer, adminPort } = await server.listen(0);
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...PLAIN_HTTP });
  const as = await oauth.processDiscoveryResponse(new URL(issuer), response);
  return { server, issuer, port, adminPort, as };
}

/** Asks for a token with oauth4webapi; returns the token response or the thrown OAuth error. */
export async function requestToken(
  as: oauth.AuthorizationServer,
  clientId: string,
  auth: oauth.ClientAuth,
  parameters: Record<string, string>,
): Promise<Response> {
  return oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, auth, parameters, PLAIN_HTTP);
}

/**
 * One admin API call to `issuer` with the bearer `token` (none when null): status, headers and the JSON body
 * (undefined when the answer has none).
 */
export async function adminCall(issuer: string, method: string, path: string, body: unknown, token: string | null): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers["authorization"] = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${issuer}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
}
