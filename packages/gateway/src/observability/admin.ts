import Router from "@koa/router";
import Koa from "koa";
import type { Registry } from "prom-client";

/** What `/readyz` checks, each true when fine. */
export type ReadinessChecks = () => Readonly<Record<string, boolean>>;

/**
 * The admin listener (its own port, never the proxied one): `GET /metrics` (Prometheus text
 * format), `GET /healthz` (the process answers), `GET /readyz` (200 when every check passes:
 * rate-limit store reachable, verification keys loaded, not draining; else 503 naming them).
 */
export function createAdminApp(registry: Registry, checks: ReadinessChecks): Koa {
  const app = new Koa();
  const router = new Router();
  router.get("/metrics", async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", (ctx) => {
    const result = checks();
    const ready = Object.values(result).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? "ready" : "not_ready", checks: result };
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
