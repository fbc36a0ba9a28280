import { ConfigError, validateConfig } from "@gatehouse/service-kit";
import { serviceIdSchema, serviceSchema } from "../../config/schema.js";
import { AuthServerError, isAuthServerError } from "../../errors.js";
import type { ClientCredentials } from "../../registry/client-metadata.js";
import type { RegistryStore, ServiceRecord } from "../../registry/store.js";

/**
 * Validates a service definition sent to the admin API as strictly as the config file: the
 * schema (unknown keys rejected), the id, `allow` naming existing services with a resource and
 * exposed scopes, a resource no other service uses, and a credential the server can resolve.
 * Every problem is a 400 `invalid_service` naming the path.
 */
export async function validateServiceWrite(
  id: unknown,
  definition: unknown,
  registry: RegistryStore,
  credentials: ClientCredentials,
): Promise<ServiceRecord> {
  const parsedId = serviceIdSchema.safeParse(id);
  if (!parsedId.success) throw new AuthServerError("invalid_service", `id: ${parsedId.error.issues[0]?.message ?? "invalid"}`);
  let parsed;
  try {
    parsed = validateConfig("service", definition, serviceSchema);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new AuthServerError("invalid_service", error.problems.map((p) => `${p.path === "" ? "" : `${p.path}: `}${p.message}`).join("; "));
    }
    throw error;
  }
  const record: ServiceRecord = { id: parsedId.data, ...parsed };
  const others = (await registry.list()).filter((s) => s.id !== record.id);
  const byId = new Map([...others, record].map((s) => [s.id, s]));
  for (const [target, scopes] of Object.entries(record.allow)) {
    const peer = byId.get(target);
    if (peer?.resource === undefined) {
      throw new AuthServerError("invalid_service", `allow.${target}: ${peer === undefined ? `unknown service "${target}"` : `service "${target}" has no resource`}`);
    }
    const missing = scopes.findIndex((scope) => !peer.scopes.includes(scope));
    if (missing >= 0) throw new AuthServerError("invalid_service", `allow.${target}.${missing}: scope "${scopes[missing] ?? ""}" is not exposed by service "${target}"`);
  }
  if (record.resource !== undefined) {
    const clash = others.find((s) => s.resource === record.resource);
    if (clash !== undefined) throw new AuthServerError("invalid_service", `resource: same resource as service "${clash.id}"`);
  }
  if (!record.disabled) {
    try {
      credentials.check(record);
    } catch (error) {
      if (isAuthServerError(error)) throw new AuthServerError("invalid_service", error.message.replace(/^service "[^"]*": /, "auth: "));
      throw error;
    }
  }
  return record;
}
