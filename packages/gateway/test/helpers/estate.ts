import * as oauth from "oauth4webapi";
import { createAuthServer, parseAuthServerConfig, type AuthServer } from "@gatehouse/auth-server";
import { captureLogs } from "./log-capture.js";

/** oauth4webapi refuses plain http unless told; the test servers listen on http://127.0.0.1. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the marker exists for exactly this: local servers without TLS
export const PLAIN_HTTP = { [oauth.allowInsecureRequests]: true } as const;

export const SECRETS = {
  INVENTORY_SECRET: "inventory-secret-0123456789abcdef",
  BILLING_SECRET: "billing-secret-0123456789abcdef",
  ORDERS_SECRET: "orders-secret-0123456789abcdef",
} as const;

/**
 * The service registry of the gateway tests: `orders` and `payments` are resources;
 * `inventory` (environment prod) may read and write orders and read payments; `billing`
 * (environment staging) may only read orders.
 */
export const REGISTRY = {
  keys: { generate: "memory" },
  services: {
    orders: {
      resource: "https://orders.internal",
      scopes: ["orders:read", "orders:write"],
      auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" },
    },
    payments: {
      resource: "https://payments.internal",
      scopes: ["payments:read"],
      auth: { method: "client_secret_basic", secretEnv: "ORDERS_SECRET" },
    },
    inventory: {
      auth: { method: "client_secret_basic", secretEnv: "INVENTORY_SECRET" },
      allow: { orders: ["orders:read", "orders:write"], payments: ["payments:read"] },
      attributes: { team: "logistics", environment: "prod" },
    },
    billing: {
      auth: { method: "client_secret_basic", secretEnv: "BILLING_SECRET" },
      allow: { orders: ["orders:read"] },
      attributes: { team: "finance", environment: "staging" },
    },
  },
};

/** A real auth server on port 0, and a real OAuth client (oauth4webapi) to get tokens from it. */
export async function startAuthServer(): Promise<{
  server: AuthServer;
  issuer: string;
  token: (clientId: keyof typeof CLIENT_SECRETS, resource: string, scopes: string[], tokenEndpoint?: string) => Promise<string>;
  close: () => Promise<void>;
}> {
  const server = createAuthServer(parseAuthServerConfig(REGISTRY, "registry.yaml"), { logger: captureLogs().logger, env: SECRETS });
  const { issuer } = await server.listen(0);
  const response = await oauth.discoveryRequest(new URL(issuer), { algorithm: "oauth2", ...PLAIN_HTTP });
  const as = await oauth.processDiscoveryResponse(new URL(issuer), response);
  return {
    server,
    issuer,
    async token(clientId, resource, scopes, tokenEndpoint) {
      const target = tokenEndpoint === undefined ? as : { ...as, token_endpoint: tokenEndpoint };
      const client: oauth.Client = { client_id: clientId };
      const grant = await oauth.clientCredentialsGrantRequest(
        target,
        client,
        oauth.ClientSecretBasic(CLIENT_SECRETS[clientId]),
        { resource, scope: scopes.join(" ") },
        PLAIN_HTTP,
      );
      const result = await oauth.processClientCredentialsResponse(target, client, grant);
      return result.access_token;
    },
    close: () => server.close(),
  };
}

const CLIENT_SECRETS = { inventory: SECRETS.INVENTORY_SECRET, billing: SECRETS.BILLING_SECRET } as const;
