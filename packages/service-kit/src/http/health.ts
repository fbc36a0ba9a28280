/** The body of `GET /healthz`: the process answers. Always 200. */
export interface LivenessBody {
  readonly status: "ok";
}

/** The body of `GET /readyz`: every check by name, `ok` or `failing`. */
export interface ReadinessBody {
  readonly status: "ready" | "not_ready";
  readonly checks: Readonly<Record<string, "ok" | "failing">>;
}

/** One named readiness check: true when its dependency answers (a throw or a late answer is `failing`). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** A health answer: the HTTP status and the JSON body. */
export interface HealthAnswer<Body> {
  readonly status: 200 | 503;
  readonly body: Body;
}

/** Headers of every health answer: a probe must never see a cached one. */
export const HEALTH_HEADERS = { "cache-control": "no-store" } as const;

/** How long one readiness check may take before it counts as `failing`. */
export const READINESS_CHECK_TIMEOUT_MS = 1_000;

/** `GET /healthz` of every Gatehouse service: 200 `{"status":"ok"}` while the process runs. */
export function liveness(): HealthAnswer<LivenessBody> {
  return { status: 200, body: { status: "ok" } };
}

/**
 * `GET /readyz` of every Gatehouse service: runs the checks concurrently (each bounded by
 * {@link READINESS_CHECK_TIMEOUT_MS}); 200 `{"status":"ready","checks":{…:"ok"}}` when all pass, else
 * 503 `{"status":"not_ready","checks":{…}}` naming the failing ones.
 */
export async function readiness(checks: Readonly<Record<string, ReadinessCheck>>): Promise<HealthAnswer<ReadinessBody>> {
  const results = Object.fromEntries(
    await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, (await bounded(check)) ? "ok" : "failing"] as const)),
  );
  const ready = Object.values(results).every((r) => r === "ok");
  return { status: ready ? 200 : 503, body: { status: ready ? "ready" : "not_ready", checks: results } };
}

async function bounded(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .catch(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), READINESS_CHECK_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
