import { once } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { compilePolicy, createVerifier, type VerifierOptions } from "@gatehouse/sdk";
import { ClientAddressResolver, createHttpServer, createHttpsServer, createLogger, fixedKeysLine, createRedisClient, flushLogs, listen, LOG_FLUSH_TIMEOUT_MS, MemoryRateLimitStore, RedisRateLimitStore, type Logger, type RateLimitStore } from "@gatehouse/service-kit";
import type { Registry } from "prom-client";
import { authenticateStep } from "./auth/authenticate.js";
import { gatewayRevocation, registerRevocationMetrics } from "./auth/revocation.js";
import type { GatewayConfig } from "./config/schema.js";
import { createErrorResponder } from "./http/error-responder.js";
import type { Exchange, RouteTarget } from "./http/exchange.js";
import { compilePipeline } from "./http/pipeline.js";
import { requestIdStep } from "./http/request-id.js";
import { ACCESS_LOG_KEYS, writeAccessLog } from "./observability/access-log.js";
import { createAdminApp } from "./observability/admin.js";
import { GatewayMetrics } from "./observability/metrics.js";
import { GatewaySecurityEvents } from "./observability/security-events.js";
import { authorizeStep } from "./policy/step.js";
import { proxyStep } from "./proxy/step.js";
import { UpstreamGroup, UpstreamPools } from "./proxy/upstreams.js";
import { rateLimitPolicyField } from "./ratelimit/headers.js";
import { RateLimiter } from "./ratelimit/limiter.js";
import { rateLimitStep } from "./ratelimit/step.js";
import { matchRouteStep } from "./routes/match-step.js";
import { RouteTable } from "./routes/route-table.js";
import { bindingStep } from "./tls/binding-step.js";
import { listenerTlsOptions, watchListenerTls } from "./tls/listener-tls.js";
import { UpstreamTls } from "./tls/upstream-tls.js";
import { gatewayIdentity, identityListenerOptions } from "./tls/gateway-identity.js";

/** How long `listen` waits for Redis before opening the port anyway. */
const STORE_READY_TIMEOUT_MS = 3_000;

/** What {@link createGateway} may be given besides its config. */
export interface GatewayDeps {
  /** Defaults to service-kit's `createLogger("gateway")`. */
  readonly logger?: Logger;
  /** Redis for the rate limits (`REDIS_URL`); absent → limits in process memory (logged). */
  readonly redisUrl?: string;
  /** Where `revocation.secretEnv` and `identity.secretEnv` are looked up (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Redis for the security event stream (`EVENTS_REDIS_URL`); defaults to `redisUrl`. */
  readonly eventsRedisUrl?: string;
}

/** A running gateway; ports are opened by {@link Gateway.listen} and {@link Gateway.listenAdmin}. */
export interface Gateway {
  /** Opens the proxy port (0 = any free port), once the rate-limit store answers (waiting at most 3 s). */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Opens the admin port: `/metrics`, `/healthz`, `/readyz`. */
  listenAdmin(port: number, host?: string): Promise<{ port: number }>;
  /**
   * Swaps in the route table of a new config between two requests, or keeps the current one and
   * logs why (a non-route setting changed: those apply only at start). Returns whether it swapped.
   */
  reload(config: GatewayConfig): boolean;
  /** Resolves when the rate-limit store and the verification keys are ready, or `timeoutMs` passed. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** The Prometheus registry served on the admin port. */
  readonly metrics: Registry;
  /** Stops accepting, drains in-flight requests (up to `shutdownTimeoutMs`), closes everything, writes out the buffered log lines. */
  close(): Promise<void>;
}

/**
 * The composition root. The proxied request path is listed here once, in order, and compiled
 * into one handler:
 *
 * error handler → request id → canonical path + route match → authenticate → certificate
 * binding → authorize → rate limit → proxy
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? createLogger("gateway");
  const accessLine = fixedKeysLine(logger, ACCESS_LOG_KEYS, "request");
  const revocation = gatewayRevocation(config, deps.env ?? process.env, logger);
  const verifier = createVerifier({ ...verifierOptions(config), ...(revocation === undefined ? {} : { revocation: revocation.options }) });
  const identity = gatewayIdentity(config, deps.env ?? process.env);
  const upstreamTls = new UpstreamTls(config.proxy.tls);
  const stopWatchingUpstreamTls = upstreamTls.watch(logger);
  const pools = new UpstreamPools(config.proxy, upstreamTls);
  const store = openStore(config, deps, logger);
  let draining = false;
  let inFlight = 0;
  const revocationSynced = () => revocation === undefined || verifier.revocationStatus()?.synced === true;
  const ready = () => store.connected && verifier.health().keysLoaded && revocationSynced() && !draining;
  const metrics = new GatewayMetrics(verifier, ready);
  if (revocation !== undefined) registerRevocationMetrics(metrics.registry, verifier);
  const limiter = new RateLimiter({
    store,
    failureMode: config.rateLimiting.failureMode,
    replicas: config.rateLimiting.replicas,
    keyPrefix: config.rateLimiting.keyPrefix,
    localMaxKeys: config.rateLimiting.localMaxKeys,
    logger,
    observer: metrics,
  });
  const events = new GatewaySecurityEvents(config.events, { redisUrl: deps.eventsRedisUrl ?? deps.redisUrl, registry: metrics.registry });
  let current = config;
  let table = compileTable(config, pools);

  const handle = compilePipeline({
    errorHandler: createErrorResponder(logger, { maxBodyBytes: config.proxy.maxBodyBytes }),
    steps: [
      requestIdStep(() => draining),
      matchRouteStep(() => table, new ClientAddressResolver(config.trustedProxies)),
      authenticateStep(verifier, config.realm),
      bindingStep(config.realm),
      authorizeStep(config.realm),
      rateLimitStep(limiter),
      proxyStep({ maxBodyBytes: config.proxy.maxBodyBytes }),
    ],
    done: (exchange: Exchange) => {
      inFlight--;
      const durationMs = performance.now() - exchange.startedAt;
      try {
        metrics.observe(exchange, durationMs);
        events.observe(exchange);
        if (config.accessLog) writeAccessLog(accessLine, exchange, durationMs);
      } catch (error) {
        logger.error({ err: error }, "recording a request failed");
      }
    },
  });

  // The proxied port is a plain node:http(s) listener: the compiled handler answers every request itself (a Koa
  // context per request would only be built to be told `respond = false`). The handler never rejects: the error
  // responder renders whatever a step throws, and `done` catches its own failures; a client that goes away
  // mid-response is recorded by the proxy step (status 499, `aborted`).
  const callback = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    void handle(req, res);
  };
  const tls = config.listener.tls;
  let stopWatchingTls = (): void => undefined;
  let server: Server;
  let httpsServer: HttpsServer | undefined;
  if (tls === undefined) {
    server = createHttpServer(config.listener, callback);
  } else {
    // With fromIssuer the certificate arrives in listen(), before the port opens.
    const clientCertificates = { requestCert: tls.clientCertificates !== "off", rejectUnauthorized: tls.clientCertificates === "require" };
    const https = createHttpsServer(config.listener, tls.fromIssuer ? clientCertificates : listenerTlsOptions(tls), callback);
    // A bad handshake (no or a foreign client certificate under `require`, an old protocol, garbage) is a TLS
    // alert to that client and a log line here; the process carries on.
    https.on("tlsClientError", (error, socket) => {
      logger.warn({ err: { message: error.message }, remote: socket.remoteAddress }, "TLS handshake failed");
      events.tlsRefused(socket.remoteAddress, error.message);
    });
    stopWatchingTls = watchListenerTls(tls, (options) => https.setSecureContext(options), logger);
    if (tls.fromIssuer && identity !== undefined) {
      const unsubscribe = identity.onRotate(() => https.setSecureContext(identityListenerOptions(identity, tls)));
      const stopFiles = stopWatchingTls;
      stopWatchingTls = () => {
        unsubscribe();
        stopFiles();
      };
    }
    server = https;
    httpsServer = https;
  }
  // `Expect: 100-continue` requests go through the same pipeline; only the proxy step sends
  // `100 Continue`, so a refused client is never asked for its body.
  server.on("checkContinue", callback);
  const admin = createHttpServer(
    config.listener,
    createAdminApp(metrics.registry, {
      rateLimitStore: () => store.connected,
      verificationKeys: () => verifier.health().keysLoaded,
      ...(revocation === undefined ? {} : { revocationFeed: () => revocationSynced() }),
      accepting: () => !draining,
    }, logger).callback(),
  );

  verifier.ready().catch((error: unknown) => {
    logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, "verification keys not loaded yet");
  });

  return {
    metrics: metrics.registry,
    async listen(port, host = "127.0.0.1") {
      if (identity !== undefined) {
        // The gateway's own certificate first: the listener and the upstream connections present it.
        await identity.ready();
        if (tls?.fromIssuer === true) httpsServer?.setSecureContext(identityListenerOptions(identity, tls));
        if (config.proxy.tls?.fromIssuer === true) {
          upstreamTls.useIdentity(identity.tlsOptions());
          identity.onRotate((material) => upstreamTls.useIdentity(material));
        }
      }
      // Opening the port before Redis answers would send the first requests to the failure mode.
      if (!(await store.ready(STORE_READY_TIMEOUT_MS))) {
        logger.warn({ timeoutMs: STORE_READY_TIMEOUT_MS }, "rate-limit store not reachable at start; the failure mode applies until it is");
      }
      return { port: (await listen(server, port, host)).port };
    },
    listenAdmin: async (port, host = "127.0.0.1") => ({ port: (await listen(admin, port, host)).port }),
    reload(next) {
      const changed = startOnlySettings(current, next);
      if (changed.length > 0) {
        logger.error({ changed }, `config not reloaded: ${changed.join(", ")} changed and apply only at start; restart the gateway`);
        return false;
      }
      let nextTable: RouteTable<RouteTarget>;
      try {
        nextTable = compileTable(next, pools);
      } catch (error) {
        logger.error({ err: error }, "config not reloaded: the route table did not compile");
        return false;
      }
      table = nextTable;
      current = next;
      const inUse = new Set(nextTable.routes.flatMap((r) => r.target.upstream.targets.map((t) => t.poolKey)));
      pools.release(inUse).catch((error: unknown) => logger.warn({ err: error }, "closing unused upstream pools failed"));
      logger.info({ routes: nextTable.routes.length }, "route table reloaded");
      return true;
    },
    async ready(timeoutMs = 5_000) {
      const [storeReady, keys, revocations] = await Promise.all([
        store.ready(timeoutMs),
        Promise.race([
          verifier.ready().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
        ]),
        verifier.revocationReady(timeoutMs),
      ]);
      return storeReady && keys && revocations;
    },
    async close() {
      draining = true;
      stopWatchingTls();
      stopWatchingUpstreamTls();
      identity?.close();
      const closed = server.listening ? once(server, "close") : Promise.resolve();
      server.close();
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      server.closeAllConnections();
      await closed;
      if (admin.listening) {
        const adminClosed = once(admin, "close");
        admin.close();
        admin.closeAllConnections();
        await adminClosed;
      }
      await Promise.all([limiter.close(), pools.close(), events.close()]);
      verifier.close();
      revocation?.tokenSource.close();
      // The access lines of the drained requests are in the log buffer: write them out before the caller exits.
      await flushLogs(LOG_FLUSH_TIMEOUT_MS);
    },
  };
}

function compileTable(config: GatewayConfig, pools: UpstreamPools): RouteTable<RouteTarget> {
  return new RouteTable<RouteTarget>(config.routes, (route) => ({
    audience: route.audience,
    verifyOptions: Object.freeze({ audience: route.audience ?? "" }),
    policy: compilePolicy(route.policy),
    boundTokens: route.policy.boundTokens,
    limit:
      route.rateLimit === undefined
        ? undefined
        : {
            policy: { name: route.name, limit: route.rateLimit.limit, windowMs: route.rateLimit.windowSeconds * 1000 },
            policyField: rateLimitPolicyField(route.name, route.rateLimit.limit, route.rateLimit.windowSeconds),
          },
    upstream: new UpstreamGroup(route.upstreams, pools, config.proxy.unhealthyCooldownMs, route.upstreamIdentity),
  }));
}

function openStore(config: GatewayConfig, deps: GatewayDeps, logger: Logger): RateLimitStore {
  if (deps.redisUrl === undefined) {
    logger.warn("REDIS_URL is not set: rate limits are kept in this process's memory (exact only for one process)");
    return new MemoryRateLimitStore({ maxKeys: config.rateLimiting.localMaxKeys });
  }
  const client = createRedisClient(deps.redisUrl, { name: "rate-limits", commandTimeoutMs: config.rateLimiting.redisCommandTimeoutMs, logger });
  return new RedisRateLimitStore(client, { ownsClient: true });
}

function verifierOptions(config: GatewayConfig): VerifierOptions {
  const v = config.verifier;
  return {
    issuer: config.issuer,
    ...(config.jwksUri === undefined ? {} : { jwksUri: config.jwksUri }),
    clockToleranceSec: v.clockToleranceSec,
    ...(v.maxTokenAgeSec === undefined ? {} : { maxTokenAgeSec: v.maxTokenAgeSec }),
    cacheSize: v.cacheSize,
    cacheMaxBytes: v.cacheMaxBytes,
    jwks: { cooldownMs: v.jwksCooldownMs, staleIfErrorSec: v.jwksStaleIfErrorSec, timeoutMs: v.jwksTimeoutMs },
    ...(v.trustBundleFile === undefined ? {} : { trustBundle: v.trustBundleFile }),
  };
}

/** Top-level settings other than `routes` that differ between two configs. */
function startOnlySettings(a: GatewayConfig, b: GatewayConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("routes");
  return [...keys].filter((key) => JSON.stringify(a[key as keyof GatewayConfig]) !== JSON.stringify(b[key as keyof GatewayConfig])).sort();
}
