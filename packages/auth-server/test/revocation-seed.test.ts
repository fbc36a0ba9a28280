import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { memoryLogger, sharedRegistryMacKeyFile, startServer } from "./helpers/server.js";
import { REDIS_URL } from "@gatehouse/service-kit/testing";

const ADMIN_TOKEN = "admin-credential-0123456789abcdefghijklmnop";
const env = { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, SECRET: "orders-secret-0123456789abcdef" };

const registryMacKeyFile = sharedRegistryMacKeyFile();
const config = (attributes: Record<string, string>) => ({
  // One registry key across the restarts, as in production: the entries written by the last start verify.
  keys: { generate: "memory", registryMacKeyFile },
  admin: { enabled: true, onPublicPort: true },
  services: {
    orders: { auth: { method: "client_secret_basic", secretEnv: "SECRET" }, allow: { inventory: ["inventory:read"] }, attributes },
    inventory: { resource: "https://inventory.internal", scopes: ["inventory:read"], auth: { method: "client_secret_basic", secretEnv: "SECRET" } },
  },
});

async function revocations(issuer: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${issuer}/admin/revocations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await response.json()) as { revocations: Record<string, unknown>[] }).revocations;
}

it("a restart with a config file that changed a service's attributes revokes that service's tokens, once; an unchanged file revokes nothing", async () => {
  const deps = { env, redisUrl: REDIS_URL, redisKeyPrefix: `test:auth:${randomUUID()}:` };
  const first = await startServer(config({ image: "sha256:aaa" }), { ...deps, logger: memoryLogger().logger });
  expect(await revocations(first.issuer)).toEqual([]);
  await first.server.close();

  const log = memoryLogger();
  const second = await startServer(config({ image: "sha256:bbb" }), { ...deps, logger: log.logger });
  expect(await revocations(second.issuer)).toEqual([
    expect.objectContaining({ kind: "service", value: "orders", cause: "registry_change", actor: "config-file" }),
  ]);
  expect(log.lines).toContainEqual(expect.objectContaining({ audit: true, event: "revocation.created", value: "orders", actor: "config-file" }));
  await second.server.close();

  const third = await startServer(config({ image: "sha256:bbb" }), { ...deps, logger: memoryLogger().logger });
  expect(await revocations(third.issuer)).toHaveLength(1);
  await third.server.close();
});
