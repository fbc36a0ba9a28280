import Router from "@koa/router";
import type { Middleware } from "koa";
import type { AuthMetrics } from "../observe/metrics.js";

/** `GET /metrics` in the Prometheus text format, behind `guard` (the admin credential) when given. */
export function metricsRouter(metrics: AuthMetrics, guard?: Middleware): Router {
  const router = new Router();
  const handler: Middleware = async (ctx) => {
    ctx.set("Content-Type", metrics.registry.contentType);
    ctx.set("Cache-Control", "no-store");
    ctx.body = await metrics.registry.metrics();
  };
  if (guard === undefined) router.get("/metrics", handler);
  else router.get("/metrics", guard, handler);
  return router;
}
