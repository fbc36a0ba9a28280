import { fileURLToPath } from "node:url";
import { ConfigError } from "@gatehouse/service-kit";
import { describe, expect, it } from "vitest";
import { createAuthServer, loadAuthServerConfig } from "../src/index.js";
import { memoryLogger } from "./helpers/server.js";

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/config/${name}`, import.meta.url));

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error.message;
  }
  throw new Error("expected an error");
}

describe("loadAuthServerConfig", () => {
  it("returns the defaulted, frozen config with paths resolved against the file's directory", () => {
    const config = loadAuthServerConfig(fixture("valid.yaml"));
    expect(config).toEqual({
      issuer: "https://auth.example.internal",
      keys: { generate: "memory", dir: ".gatehouse", reloadIntervalSeconds: 5 },
      listener: { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 },
      ca: { generate: "persist", dir: ".gatehouse", reloadIntervalSeconds: 5 },
      certificates: { ttlSeconds: 3600 },
      tokens: { ttlSeconds: 300, clockToleranceSeconds: 5, clientAssertionMaxLifetimeSeconds: 300 },
      http: { proxy: false, trustedProxies: [], bodyLimitBytes: 8192, jwksUriPrivateAddresses: false },
      throttle: { maxFailures: 10, windowSeconds: 60 },
      issuance: { perSecond: 5, burst: 10 },
      admin: { enabled: false, onPublicPort: false, host: "127.0.0.1", tokenEnv: "GATEHOUSE_ADMIN_TOKEN", scope: "gatehouse:admin" },
      revocation: { scope: "gatehouse:revocations", heartbeatSeconds: 5 },
      redis: { keyPrefix: "gatehouse:auth:" },
      events: { enabled: true, stream: "gatehouse:events", maxLength: 100_000, queueLimit: 10_000 },
      services: {
        orders: {
          resource: "https://orders.internal",
          scopes: ["orders:read", "orders:write"],
          auth: { method: "private_key_jwt", jwksFile: fixture("keys/orders.pub.json") },
          allow: { inventory: ["inventory:read"] },
          attributes: { team: "checkout", environment: "prod" },
          disabled: false,
        },
        inventory: {
          resource: "https://inventory.internal",
          scopes: ["inventory:read"],
          auth: { method: "client_secret_basic", secretEnv: "INVENTORY_CLIENT_SECRET" },
          allow: {},
          attributes: {},
          tokenTtlSeconds: 120,
          disabled: false,
        },
      },
    });
    expect(Object.isFrozen(config.services["orders"]?.auth)).toBe(true);
  });

  const cases: [string, string, string][] = [
    ["unknown-key.yaml", "a misspelled option", "services.orders.scope: unknown option (check the spelling against the documented options)"],
    ["inline-secret.yaml", "a secret written inline", "services.orders.auth.clientSecret: unknown option (check the spelling against the documented options)\n" +
      `${fixture("inline-secret.yaml")}: services.orders.auth: set exactly one of secretEnv, secretFile`],
    ["bad-service-id.yaml", "a service id that is no DNS label", "services.Orders_Service: must be a DNS label: 1-63 of a-z, 0-9 and -, not starting or ending with -"],
    ["bad-method.yaml", "an unsupported client authentication method", 'services.orders.auth.method: method must be one of "private_key_jwt", "client_secret_basic", "client_secret_post", "kubernetes_service_account", "tls_client_auth"'],
    ["two-jwks-sources.yaml", "two JWKS sources", "services.orders.auth: set exactly one of jwks, jwksFile, jwksUri"],
    ["allow-unknown-service.yaml", "an allow entry for an unknown service", 'services.orders.allow.payments: unknown service "payments"'],
    ["allow-unexposed-scope.yaml", "an allowed scope the target does not expose", 'services.orders.allow.inventory.1: scope "inventory:delete" is not exposed by service "inventory"'],
    ["duplicate-resource.yaml", "two services with one resource", 'services.inventory.resource: same resource as service "orders"'],
    ["resource-fragment.yaml", "a resource with a fragment", "services.orders.resource: must be an absolute http(s) URI without a fragment (RFC 8707 §2)"],
    ["private-key-registered.json", "a private key registered as the public JWKS", "services.orders.auth.jwks.keys.0.d: a private key member; register only the public key"],
    ["bad-ttl.yaml", "a zero token lifetime", "tokens.ttlSeconds: Too small: expected number to be >=1"],
    ["issuer-trailing-slash.yaml", "an issuer with a trailing slash", "issuer: must have no trailing slash, query or fragment"],
  ];

  it.each(cases)("rejects %s (%s) naming the file and the dotted path", (name, _what, message) => {
    const error = (() => {
      try {
        loadAuthServerConfig(fixture(name));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${fixture(name)}: ${message}`);
  });
});

describe("createAuthServer start-up checks", () => {
  it("refuses to start when a secretEnv variable is unset, naming it", () => {
    const config = loadAuthServerConfig(fixture("missing-secret-env.yaml"));
    expect(messageOf(() => createAuthServer(config, { env: {}, logger: memoryLogger().logger }))).toBe(
      'service "orders": environment variable ORDERS_CLIENT_SECRET_UNSET (its client secret) is not set',
    );
  });

  it("refuses to start when a jwksFile is missing, naming it", () => {
    const config = loadAuthServerConfig(fixture("valid.yaml"));
    const broken = { ...config, services: { orders: { ...config.services["orders"]!, auth: { method: "private_key_jwt" as const, jwksFile: "/nonexistent/orders.json" } } } };
    expect(messageOf(() => createAuthServer(broken, { env: {}, logger: memoryLogger().logger }))).toBe(
      'service "orders": JWKS file /nonexistent/orders.json cannot be read as JSON',
    );
  });
});
