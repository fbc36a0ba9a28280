import { hostname } from "node:os";
import { closeServer, connectionErrorLogger, createHttpServer, createLogger, EventPublisher, listen, type Logger } from "@gatehouse/service-kit";
import type { ConsoleConfig } from "./config/schema.js";
import { AccessCheck } from "./http/access.js";
import { createConsoleApp, type ConsoleViews } from "./http/console-app.js";
import { EventFeed } from "./http/event-feed.js";
import { SigningKeyWatch } from "./keys/signing-keys.js";
import { ConsoleMetrics } from "./observe/metrics.js";
import { Responder } from "./respond/responder.js";
import type { Anomaly } from "./state/anomaly-log.js";
import { ConsoleState } from "./state/console-state.js";
import { EventReader } from "./stream/event-reader.js";

/** How long `listen` waits for the stream before opening the port anyway. */
const STREAM_READY_TIMEOUT_MS = 3_000;
/** How often open feeds get the call graph again. */
const GRAPH_PUSH_MS = 1_000;

/** What {@link createConsole} may be given besides its config. */
export interface ConsoleDeps {
  /** The Redis holding the event stream (`REDIS_URL`); required. */
  readonly redisUrl: string;
  readonly logger?: Logger;
  /** Where the admin credential is looked up (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A running console. */
export interface SecurityConsole {
  /** Starts following the stream and opens the HTTP port (0 = any free port) once Redis answered or 3 s passed. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** The state the page and the API show (tests, embedding). */
  readonly views: ConsoleViews;
  close(): Promise<void>;
}

/**
 * The composition root: stream reader → state (call graph, recent events, detectors, anomalies)
 * → publisher (anomalies written back to the stream) and responder (configured responses),
 * and the HTTP app with the live feed reading the same state.
 */
export function createConsole(config: ConsoleConfig, deps: ConsoleDeps): SecurityConsole {
  const logger = deps.logger ?? createLogger("console");
  const env = deps.env ?? process.env;
  const instance = `${hostname()}:${String(process.pid)}`;
  const startedAtMs = Date.now();
  const credential = nonEmpty(env[config.access.tokenEnv]);
  const issuer = config.authServer.issuer;
  const feed = new EventFeed();
  let redisUp = false;
  const metrics = new ConsoleMetrics({ redisUp: () => redisUp, feedClients: () => feed.size });
  const publisher = new EventPublisher({ component: "console", redisUrl: deps.redisUrl, stream: config.stream, registry: metrics.registry, logger, instance, flushDelayMs: 0 });
  const adminUrl = config.authServer.adminUrl ?? issuer;
  const responder = new Responder({ respond: config.respond, adminUrl, adminToken: credential, publisher, logger });
  const keys = new SigningKeyWatch(
    issuer,
    config.authServer.keysRefreshSeconds,
    logger,
    adminUrl === undefined || credential === undefined ? undefined : { url: adminUrl, credential },
  );
  const access = new AccessCheck({ credential, issuer, audience: config.access.audience, scope: config.access.scope });
  if (credential === undefined && (issuer === undefined || config.access.audience === undefined)) {
    logger.warn(`neither ${config.access.tokenEnv} nor authServer.issuer with access.audience is set: nobody can read the console's API`);
  }

  const onAnomaly = (anomaly: Anomaly, raisedHere: boolean, live: boolean) => {
    feed.send("anomaly", anomaly);
    if (!raisedHere) return;
    metrics.anomalies.inc({ kind: anomaly.kind });
    if (!live) return;
    publisher.publish({
      event: anomaly.event,
      severity: anomaly.severity,
      ...(anomaly.service === undefined ? {} : { service: anomaly.service }),
      ...(anomaly.route === undefined ? {} : { route: anomaly.route }),
      ...(anomaly.source === undefined ? {} : { source: anomaly.source }),
      time: anomaly.time,
      detail: { id: anomaly.id, summary: anomaly.summary, evidence: anomaly.evidence, response: anomaly.response },
    });
    if (anomaly.response.outcome !== "pending") return;
    void responder.respond(anomaly).then((outcome) => {
      anomaly.response = outcome;
      metrics.responses.inc({ action: outcome.action, outcome: outcome.outcome });
      feed.send("anomaly", anomaly);
    });
  };
  const state = new ConsoleState(config, {
    instance,
    initialResponse: (anomaly, live) => responder.initial(anomaly, live),
    listener: { onEvent: (event) => feed.send("event", event), onAnomaly },
  });

  const reader = new EventReader({
    redisUrl: deps.redisUrl,
    stream: config.stream,
    batchSize: config.reader.batchSize,
    blockMs: config.reader.blockMs,
    maxEventBytes: config.reader.maxEventBytes,
    history: config.reader.history,
    logger,
    onEvents: (events, live) => {
      metrics.eventsRead.inc(events.length);
      state.ingest(events, live);
    },
    onSkip: (reason, id) => {
      metrics.skipped.inc({ reason });
      skipped[reason]++;
      logger.debug({ id, reason }, "stream entry skipped");
    },
    onConnection: (connected) => {
      redisUp = connected;
      if (connected) logger.info({ stream: config.stream }, "reading the event stream");
      else logger.warn({ stream: config.stream }, "the event stream cannot be read (Redis unavailable); retrying");
      feed.send("status", status());
    },
  });
  const skipped = { malformed: 0, oversized: 0 };

  const status = () => {
    const now = Date.now();
    const learningEnds = state.detector.learningEndsAt;
    return {
      instance,
      startedAt: new Date(startedAtMs).toISOString(),
      stream: config.stream,
      redis: { connected: redisUp, cursor: reader.cursor ?? null },
      events: { read: state.eventsRead, skipped: { ...skipped }, lastEventAt: state.lastEventMs === undefined ? null : new Date(state.lastEventMs).toISOString() },
      published: { ...publisher.stats },
      learning: { seconds: config.learningSeconds, endsAt: learningEnds === undefined ? null : new Date(learningEnds).toISOString(), active: learningEnds === undefined || now < learningEnds },
      respond: config.respond,
      signingKeys: keys.status(now),
    };
  };
  const views: ConsoleViews = {
    graph: () => state.graph.snapshot(Date.now()),
    anomalies: () => state.anomalies.list(),
    recent: (filter, limit) => state.recent.list(filter, limit),
    status,
    feedSnapshot: () => [
      ["status", status()],
      ["graph", state.graph.snapshot(Date.now())],
    ],
    readinessChecks: () => ({ accepting: () => serving, redis: () => redisUp }),
  };
  let serving = false;
  const server = createHttpServer(config.listener, createConsoleApp({ views, access, feed, registry: metrics.registry, logger }));
  server.on("clientError", connectionErrorLogger(logger));
  const graphTimer = setInterval(() => {
    if (feed.size === 0) return;
    feed.send("graph", state.graph.snapshot(Date.now()));
    feed.send("status", status());
  }, GRAPH_PUSH_MS).unref();

  return {
    views,
    async listen(port, host = "127.0.0.1") {
      reader.start();
      keys.start();
      if (!(await reader.ready(STREAM_READY_TIMEOUT_MS))) {
        logger.warn({ timeoutMs: STREAM_READY_TIMEOUT_MS }, "the event stream is not reachable at start; the page says so until it is");
      }
      const address = await listen(server, port, host);
      serving = true;
      return { port: address.port };
    },
    async close() {
      clearInterval(graphTimer);
      keys.stop();
      serving = false;
      feed.close();
      await closeServer(server, 2_000);
      await reader.close();
      access.close();
      await publisher.close();
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
