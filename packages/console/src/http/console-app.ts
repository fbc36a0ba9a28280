import type { IncomingMessage, ServerResponse } from "node:http";
import { queryOf } from "@gatehouse/sdk";
import { HEALTH_HEADERS, liveness, readiness, type Logger, type ReadinessCheck } from "@gatehouse/service-kit";
import type { Registry } from "prom-client";
import { ConsoleError, isConsoleError } from "../errors.js";
import type { EventFilter } from "../state/recent-events.js";
import type { AccessCheck } from "./access.js";
import type { EventFeed } from "./event-feed.js";
import { isStaticPath, PAGE_HEADERS, staticFile } from "./static-files.js";

/** What the HTTP layer reads; every figure the page shows comes through one of these. */
export interface ConsoleViews {
  graph(): unknown;
  anomalies(): unknown;
  recent(filter: EventFilter, limit: number): unknown;
  status(): unknown;
  /** The messages a new live feed starts with. */
  feedSnapshot(): [string, unknown][];
  /** The `/readyz` checks: `accepting` (listening, not closing) and `redis` (the stream can be read). */
  readinessChecks(): Readonly<Record<string, ReadinessCheck>>;
}

export interface ConsoleAppOptions {
  readonly views: ConsoleViews;
  readonly access: AccessCheck;
  readonly feed: EventFeed;
  readonly registry: Registry;
  readonly logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * The console's HTTP surface, all `GET`:
 *
 * - open: `/` (and `/console.js`, `/console.css`), `/healthz`, `/readyz`, `/metrics`
 * - admin credential or a `gatehouse:console` token: `/api/graph`, `/api/anomalies`,
 *   `/api/recent` (filters `event`, `service`, `route`, `source`, `severity`, `component`,
 *   `limit`), `/api/status`, `/api/events` (server-sent events)
 *
 * Every failure is a JSON `{ "error", "error_description" }` from {@link ConsoleError}, with its
 * `WWW-Authenticate` challenge where RFC 6750 asks for one; never a stack trace.
 */
export function createConsoleApp(options: ConsoleAppOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { views, access, feed, registry, logger } = options;
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...HEALTH_HEADERS, "x-content-type-options": "nosniff" });
    res.end(text);
  };
  const guarded =
    (handler: Handler): Handler =>
    async (req, res, url) => {
    await access.check(req.rawHeaders, queryOf(req.url));
    await handler(req, res, url);
  };
  const routes: Record<string, Handler> = {
    "/healthz": (_req, res) => {
      const answer = liveness();
      json(res, answer.status, answer.body);
    },
    "/readyz": async (_req, res) => {
      const answer = await readiness(views.readinessChecks());
      json(res, answer.status, answer.body);
    },
    "/metrics": async (_req, res) => {
      const text = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(text);
    },
    "/api/graph": guarded((_req, res) => json(res, 200, views.graph())),
    "/api/anomalies": guarded((_req, res) => json(res, 200, { anomalies: views.anomalies() })),
    "/api/status": guarded((_req, res) => json(res, 200, views.status())),
    "/api/recent": guarded((_req, res, url) => {
      const q = url.searchParams;
      const filter: EventFilter = {
        event: q.get("event") ?? undefined,
        service: q.get("service") ?? undefined,
        route: q.get("route") ?? undefined,
        source: q.get("source") ?? undefined,
        severity: q.get("severity") ?? undefined,
        component: q.get("component") ?? undefined,
      };
      const limit = Number.parseInt(q.get("limit") ?? "200", 10);
      json(res, 200, { events: views.recent(filter, Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 1_000) : 200) });
    }),
    "/api/events": guarded((_req, res) => feed.open(res, views.feedSnapshot())),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname;
    const route = routes[path];
    const isPage = isStaticPath(path);
    if (route === undefined && !isPage) throw new ConsoleError("not_found", `no resource at ${path.slice(0, 100)}`);
    if (req.method !== "GET" && req.method !== "HEAD") throw new ConsoleError("method_not_allowed", "only GET is served", { headers: { allow: "GET, HEAD" } });
    if (route !== undefined) {
      await route(req, res, url);
      return;
    }
    const file = await staticFile(path);
    res.writeHead(200, { ...PAGE_HEADERS, "content-type": file.type, "content-length": file.body.length });
    res.end(req.method === "HEAD" ? undefined : file.body);
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const known = isConsoleError(error);
      if (!known) logger.error({ err: error, path: req.url?.slice(0, 200) }, "unexpected error answering a console request");
      const failure = known ? error : new ConsoleError("server_error", "the console could not answer this request");
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify({ error: failure.code, error_description: failure.expose ? failure.description : "the console could not answer this request" });
      res.writeHead(failure.status, {
        ...failure.headers,
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      res.end(body);
    });
  };
}
