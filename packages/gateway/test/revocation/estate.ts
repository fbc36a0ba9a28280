// The revocation estate: two auth-server replicas on one Redis (same issuer, same keys), two gateways and an
// SDK-verified backend, each subscribed to the feed of a different replica.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { authenticateRequest, createTokenSource, createVerifier, type RequireServiceOptions, type Verifier } from "@gatehouse/sdk";
import { startBackend } from "../helpers/backend.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { captureLogs } from "../helpers/log-capture.js";
import { freePort, REDIS_URL, uniquePrefix } from "../helpers/redis.js";

export const ADMIN_TOKEN = "admin-credential-0123456789abcdefghijklmnop";
export const FEED_AUDIENCE = "https://gatehouse.internal/revocations";
export const INVENTORY = "https://inventory.internal";
export const ENV = {
  GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
  GATEWAY_SECRET: "gateway-secret-0123456789abcdef",
  INVENTORY_SECRET: "inventory-secret-0123456789abcdef",
  ORDERS_SECRET: "orders-secret-0123456789abcdef",
  OTHER_SECRET: "other-secret-0123456789abcdef",
} as const;

const secret = (name: keyof typeof ENV) => ({ method: "client_secret_basic", secretEnv: name });

/** The registry: `orders` and `billing` call inventory; the gateway and inventory (an SDK-verified backend) read the feed. */
export function authConfig(issuer: string, keysDir: string, redisPrefix?: string) {
  return parseAuthServerConfig(
    {
      issuer,
      keys: { generate: "persist", dir: keysDir },
      admin: { enabled: true, onPublicPort: true },
      revocation: { audience: FEED_AUDIENCE, heartbeatSeconds: 1 },
      ...(redisPrefix === undefined ? {} : { redis: { keyPrefix: redisPrefix } }),
      services: {
        gatehouse: { resource: FEED_AUDIENCE, scopes: ["gatehouse:revocations"], auth: secret("OTHER_SECRET") },
        gateway: { auth: secret("GATEWAY_SECRET"), allow: { gatehouse: ["gatehouse:revocations"] } },
        inventory: {
          resource: INVENTORY,
          scopes: ["inventory:read", "inventory:deploy"],
          auth: secret("INVENTORY_SECRET"),
          allow: { gatehouse: ["gatehouse:revocations"] },
        },
        orders: {
          auth: secret("ORDERS_SECRET"),
          allow: { inventory: ["inventory:read", "inventory:deploy"] },
          attributes: { vulnerabilities: "none" },
        },
        billing: { auth: secret("OTHER_SECRET"), allow: { inventory: ["inventory:read"] } },
      },
    },
    "revocation-estate.yaml",
  );
}

export interface AuthReplica {
  readonly url: string;
  readonly port: number;
  server: AuthServer;
  readonly logs: Record<string, unknown>[];
}

/** One auth-server replica; `port` 0 = any. */
export async function startReplica(issuer: string, keysDir: string, port: number, redisUrl: string, prefix: string): Promise<AuthReplica> {
  const capture = captureLogs();
  const server = createAuthServer(authConfig(issuer, keysDir), { logger: capture.logger, env: ENV, redisUrl, redisKeyPrefix: prefix });
  const address = await server.listen(port);
  return { url: `http://127.0.0.1:${String(address.port)}`, port: address.port, server, logs: capture.lines };
}

/** The SDK-verified backend: `inventory` itself, checking tokens for its audience with revocation on. */
export async function startSdkBackend(issuer: string, replicaUrl: string, extra: { maxStaleSeconds?: number; failureMode?: "open" | "closed" } = {}) {
  const events: Record<string, unknown>[] = [];
  const source = createTokenSource({ issuer, clientId: "inventory", auth: { method: "client_secret_basic", clientSecret: ENV.INVENTORY_SECRET } });
  const verifier: Verifier = createVerifier({
    issuer,
    jwksUri: `${replicaUrl}/jwks`,
    audience: INVENTORY,
    revocation: {
      feedUrl: `${replicaUrl}/revocations`,
      auth: { tokenSource: source, resource: FEED_AUDIENCE },
      onEvent: (event) => events.push({ ...event }),
      ...extra,
    },
  });
  const options: RequireServiceOptions = { verifier, audience: INVENTORY };
  const server: Server = createServer((req, res) => {
    void authenticateRequest(req, res, options).then((caller) => {
      if (caller === undefined) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ service: caller.service }));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    verifier,
    events,
    async close() {
      verifier.close();
      source.close();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Gateway routes: `/api/inventory` (read) and `/api/deploy` (deploy, only for callers without critical vulnerabilities). */
export function gatewayInput(issuer: string, replicaUrl: string, upstream: string, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    jwksUri: `${replicaUrl}/jwks`,
    revocation: { feed: `${replicaUrl}/revocations`, secretEnv: "GATEWAY_SECRET", resource: FEED_AUDIENCE, ...extra },
    routes: [
      { name: "inventory", pathPrefix: "/api/inventory", upstreams: [upstream], audience: INVENTORY, policy: { scopes: ["inventory:read"] } },
      {
        name: "deploy",
        pathPrefix: "/api/deploy",
        upstreams: [upstream],
        audience: INVENTORY,
        policy: { scopes: ["inventory:deploy"], attributes: { vulnerabilities: "none" } },
      },
    ],
  };
}

export interface Estate {
  readonly issuer: string;
  readonly keysDir: string;
  readonly prefix: string;
  a: AuthReplica;
  readonly b: AuthReplica;
  readonly gateways: readonly [RunningGateway, RunningGateway];
  readonly sdk: Awaited<ReturnType<typeof startSdkBackend>>;
  close(): Promise<void>;
}

/** Starts everything: replica A owns the issuer address; gateway 1 reads A's feed, gateway 2 and the SDK backend B's. */
export async function startEstate(): Promise<Estate> {
  const keysDir = mkdtempSync(join(tmpdir(), "gatehouse-revocation-"));
  const prefix = uniquePrefix("rev");
  const portA = await freePort();
  const issuer = `http://127.0.0.1:${String(portA)}`;
  const a = await startReplica(issuer, keysDir, portA, REDIS_URL, prefix);
  const b = await startReplica(issuer, keysDir, 0, REDIS_URL, prefix);
  const upstream = await startBackend("inventory");
  const g1 = await startGateway(gatewayInput(issuer, a.url, upstream.url), { env: ENV });
  // Gateway 2 reads its feed client secret from a file (`revocation.secretFile`, as in docker-compose.yml).
  const secretFile = join(keysDir, "gateway.secret");
  writeFileSync(secretFile, `${ENV.GATEWAY_SECRET}\n`, { mode: 0o600 });
  const g2 = await startGateway(gatewayInput(issuer, b.url, upstream.url, { secretEnv: undefined, secretFile }), { env: {} });
  const sdk = await startSdkBackend(issuer, b.url);
  const estate: Estate = {
    issuer,
    keysDir,
    prefix,
    a,
    b,
    gateways: [g1, g2],
    sdk,
    async close() {
      await Promise.all([g1.close(), g2.close(), sdk.close(), upstream.close()]);
      await Promise.all([estate.a.server.close(), b.server.close()]);
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
  return estate;
}
