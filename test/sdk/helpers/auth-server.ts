// The real Gatehouse auth server (packages/auth-server) on port 0, behind a counting proxy whose URL is the issuer,
// with a small registry: orders (private_key_jwt) and billing (client_secret_post) calling inventory.
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { createLogger } from "@gatehouse/service-kit";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { startCountingProxy, type CountingProxy } from "./counting-proxy.js";

export const INVENTORY = "https://inventory.internal";
export const SHORT_LIVED = "https://ledger.internal";
export const BILLING_SECRET = "billing-secret-0123456789abcdef";

export interface RealAuthServer {
  readonly issuer: string;
  readonly proxy: CountingProxy;
  /** The private JWK of `orders`, registered with its public half. */
  readonly ordersJwk: JWK;
  close(): Promise<void>;
}

export async function startRealAuthServer(options: { ledgerTtlSeconds?: number } = {}): Promise<RealAuthServer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const ordersPublic = { ...(await exportJWK(publicKey)), kid: "orders-1", alg: "ES256", use: "sig" };
  const ordersJwk = { ...(await exportJWK(privateKey)), kid: "orders-1", alg: "ES256" };
  const proxy = await startCountingProxy();
  const config = parseAuthServerConfig(
    {
      issuer: proxy.url,
      keys: { generate: "memory" },
      services: {
        orders: {
          resource: "https://orders.internal",
          scopes: ["orders:read"],
          auth: { method: "private_key_jwt", jwks: { keys: [ordersPublic] } },
          allow: { inventory: ["inventory:read", "inventory:reserve"], ledger: ["ledger:write"] },
          attributes: { team: "checkout", environment: "prod" },
        },
        billing: {
          auth: { method: "client_secret_post", secretEnv: "BILLING_SECRET" },
          allow: { inventory: ["inventory:read"] },
        },
        inventory: {
          resource: INVENTORY,
          scopes: ["inventory:read", "inventory:reserve", "inventory:admin"],
          auth: { method: "client_secret_basic", secretEnv: "BILLING_SECRET" },
        },
        ledger: {
          resource: SHORT_LIVED,
          scopes: ["ledger:write"],
          auth: { method: "client_secret_basic", secretEnv: "BILLING_SECRET" },
          tokenTtlSeconds: options.ledgerTtlSeconds ?? 300,
        },
      },
    },
    "sdk-test.yaml",
  );
  const server: AuthServer = createAuthServer(config, {
    logger: createLogger("auth-server", { level: "silent" }),
    env: { BILLING_SECRET },
  });
  const { port } = await server.listen(0);
  proxy.setTarget(`http://127.0.0.1:${port}`);
  return {
    issuer: proxy.url,
    proxy,
    ordersJwk,
    async close() {
      await server.close();
      await proxy.close();
    },
  };
}
