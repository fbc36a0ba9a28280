import Router from "@koa/router";
import type { Logger } from "@gatehouse/service-kit";
import { AuthServerError } from "../../errors.js";
import type { AuditEvent } from "../../observe/audit.js";
import type { AuthMetrics } from "../../observe/metrics.js";
import type { AuthSecurityEvents } from "../../observe/security-events.js";
import type { SigningKeys } from "../../keys/signing-keys.js";
import type { ClientCredentials } from "../../registry/client-metadata.js";
import type { RegistryStore, ServiceRecord } from "../../registry/store.js";
import { clientAddressOf } from "../client-address.js";
import { readJsonBody } from "../json-body.js";
import type { Middleware } from "koa";
import type { AdminActor } from "./admin-auth.js";
import type { Revocations } from "../../revocation/revocations.js";
import { validateServiceWrite } from "./service-writes.js";
import { revocationRoutes } from "./revocation-routes.js";

/** The admin API's collaborators; `token` is the admin bearer credential. */
export interface AdminApiOptions {
  /** Authenticates every call (`requireAdmin`). */
  readonly guard: Middleware;
  readonly registry: RegistryStore;
  readonly credentials: ClientCredentials;
  readonly logger: Logger;
  readonly metrics: AuthMetrics;
  readonly bodyLimitBytes: number;
  /** Records revocations (`/admin/revocations`) and those a registry change implies. */
  readonly revocations: Revocations;
  readonly events: AuthSecurityEvents;
  /** The signing keys, for `GET /admin/keys` (their schedule, never key material). */
  readonly keys: SigningKeys;
}

/**
 * The admin API under `/admin` (JSON in and out, bearer-authenticated by `guard`):
 * `GET /admin/keys` (the signing keys' schedule, no key material), `GET /admin/services`, `GET /admin/services/:id`, `POST /admin/services` (body: `{ id, ...definition }`),
 * `PUT /admin/services/:id` (body: the definition), `POST /admin/services/:id/disable` and `/enable`.
 * Every change is validated like the config file and written to the audit log; a change of a
 * service's attributes, allow list or disabled flag also revokes its outstanding tokens. Revocations:
 * `POST /admin/revocations`, `GET /admin/revocations` (see `revocationRoutes`). Definitions never
 * hold secrets (only the names of the variables or files that do), so reads are safe to return whole.
 */
export function adminRouter(options: AdminApiOptions): Router {
  const { registry, logger, metrics } = options;
  const router = new Router({ prefix: "/admin" });
  router.use(options.guard);

  const audit = (event: AuditEvent, record: ServiceRecord, ctx: Parameters<typeof clientAddressOf>[0]) => {
    metrics.adminChanges.inc({ action: event.replace("admin.service_", "") });
    const actor = (ctx.state as { admin?: AdminActor }).admin?.actor;
    options.events.adminChange(event.replace("admin.service_", ""), record.id, actor, clientAddressOf(ctx));
    logger.info({ audit: true, event, service: record.id, disabled: record.disabled, actor, remote: clientAddressOf(ctx) }, event.replace("admin.", "").replace("_", " "));
  };

  const existing = async (id: string): Promise<ServiceRecord> => {
    const record = await registry.get(id);
    if (record === undefined) throw new AuthServerError("service_not_found", `no service "${id}"`);
    return record;
  };

  // The signing keys' schedule for operators and the console: kid, dates, whether it signs or is
  // published now. Only these named fields are copied: never `d` or any other key material.
  router.get("/keys", (ctx) => {
    const now = Date.now();
    const signing = options.keys.signingKid(now);
    const published = new Set(options.keys.published(now).map((key) => key.kid));
    ctx.set("Cache-Control", "no-store");
    ctx.body = {
      keys: options.keys.keys.map((key) => ({
        kid: key.kid,
        alg: key.alg,
        createdAt: key.createdAt ?? null,
        signFrom: key.signFrom ?? null,
        retireAt: key.retireAt ?? null,
        signing: key.kid === signing,
        published: published.has(key.kid),
      })),
    };
  });

  router.get("/services", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = { services: await registry.list() };
  });

  router.get("/services/:id", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await existing(ctx.params["id"] ?? "");
  });

  router.post("/services", async (ctx) => {
    const body = await readJsonBody(ctx, options.bodyLimitBytes);
    const { id, ...definition } = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : { id: undefined };
    const record = await validateServiceWrite(id, definition, registry, options.credentials);
    if (!(await registry.create(record))) throw new AuthServerError("service_exists", `service "${record.id}" exists`);
    audit("admin.service_created", record, ctx);
    ctx.status = 201;
    ctx.set("Location", `/admin/services/${record.id}`);
    ctx.body = record;
  });

  router.put("/services/:id", async (ctx) => {
    const id = ctx.params["id"] ?? "";
    const previous = await existing(id);
    const record = await validateServiceWrite(id, await readJsonBody(ctx, options.bodyLimitBytes), registry, options.credentials);
    if (!(await registry.replace(record))) throw new AuthServerError("service_not_found", `no service "${id}"`);
    audit("admin.service_updated", record, ctx);
    await options.revocations.accessChanged(previous, record, actorOf(ctx));
    ctx.body = record;
  });

  for (const [action, disabled] of [["disable", true], ["enable", false]] as const) {
    router.post(`/services/:id/${action}`, async (ctx) => {
      const current = await existing(ctx.params["id"] ?? "");
      const record = disabled ? { ...current, disabled } : await validateServiceWrite(current.id, { ...withoutId(current), disabled }, registry, options.credentials);
      if (!(await registry.replace(record))) throw new AuthServerError("service_not_found", `no service "${current.id}"`);
      audit(disabled ? "admin.service_disabled" : "admin.service_enabled", record, ctx);
      await options.revocations.accessChanged(current, record, actorOf(ctx));
      ctx.body = record;
    });
  }
  revocationRoutes(router, options.revocations, options.bodyLimitBytes);
  return router;
}

function actorOf(ctx: { state: unknown }): string {
  return (ctx.state as { admin?: AdminActor }).admin?.actor ?? "unknown";
}

function withoutId(record: ServiceRecord): Omit<ServiceRecord, "id"> {
  const { id: _id, ...definition } = record;
  return definition;
}
