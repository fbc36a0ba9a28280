import Router from "@koa/router";
import { connectionErrorLogger, HEALTH_HEADERS, liveness, readiness, type HealthAnswer, type Logger, type ReadinessCheck } from "@gatehouse/service-kit";
import Koa from "koa";
import type { Registry } from "prom-client";

/** What `/readyz` checks, by name, each true when fine. */
export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;

/**
 * The admin listener (its own port, never the proxied one): `GET /metrics` (Prometheus text
 * format), `GET /healthz` (the process answers), `GET /readyz` (200 when every check passes:
 * rate-limit store reachable, verification keys loaded, not draining; else 503 naming them), in
 * the shape every Gatehouse service answers (service-kit's `liveness` / `readiness`).
 */
export function createAdminApp(registry: Registry, checks: ReadinessChecks, logger: Logger): Koa {
  const app = new Koa();
  app.on("error", connectionErrorLogger(logger));
  const router = new Router();
  router.get("/metrics", async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  const answer = (ctx: Koa.Context, health: HealthAnswer<unknown>) => {
    ctx.set(HEALTH_HEADERS);
    ctx.status = health.status;
    ctx.body = health.body;
  };
  router.get("/healthz", (ctx) => answer(ctx, liveness()));
  router.get("/readyz", async (ctx) => answer(ctx, await readiness(checks)));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
