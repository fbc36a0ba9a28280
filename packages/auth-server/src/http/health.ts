import Router from "@koa/router";
import { HEALTH_HEADERS, liveness, readiness, type HealthAnswer, type ReadinessCheck } from "@gatehouse/service-kit";
import type Koa from "koa";

/**
 * `GET /healthz`: the process is up (200 `{ "status": "ok" }`). `GET /readyz`: it can issue tokens
 * (every check `ok`: `accepting` while not starting or stopping, `redis` when configured); else 503
 * with the failing checks named. The shape is every Gatehouse service's (service-kit's `readiness`).
 */
export function healthRouter(checks: () => Readonly<Record<string, ReadinessCheck>>): Router {
  const router = new Router();
  const answer = (ctx: Koa.Context, health: HealthAnswer<unknown>) => {
    ctx.set(HEALTH_HEADERS);
    ctx.status = health.status;
    ctx.body = health.body;
  };
  router.get("/healthz", (ctx) => answer(ctx, liveness()));
  router.get("/readyz", async (ctx) => answer(ctx, await readiness(checks())));
  return router;
}
