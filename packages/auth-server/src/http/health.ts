import Router from "@koa/router";

/** What `/readyz` checks. */
export interface HealthChecks {
  /** Named checks for `/readyz`; each resolves true when its dependency answers. */
  readonly checks: () => Record<string, () => Promise<boolean>>;
  /** False while starting or stopping. */
  readonly serving: () => boolean;
}

/**
 * `GET /healthz`: the process is up (200 `{ "status": "ok" }`). `GET /readyz`: it can issue tokens:
 * serving, and every dependency (Redis when configured) answers within a second; else 503 with
 * the failing checks named.
 */
export function healthRouter(health: HealthChecks): Router {
  const router = new Router();
  router.get("/healthz", (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const results: Record<string, "ok" | "failing"> = {};
    await Promise.all(
      Object.entries(health.checks()).map(async ([name, check]) => {
        results[name] = (await withTimeout(check(), 1000)) ? "ok" : "failing";
      }),
    );
    const ready = health.serving() && Object.values(results).every((r) => r === "ok");
    ctx.set("Cache-Control", "no-store");
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? "ready" : "not_ready", checks: results };
  });
  return router;
}

async function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.catch(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
