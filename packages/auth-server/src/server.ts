import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { createLogger, type Logger } from "@gatehouse/service-kit";
import type { AuthServerConfig } from "./config/schema.js";
import { AuthServerError } from "./errors.js";
import { healthRouter } from "./http/health.js";
import { createOwnApp } from "./http/own-app.js";
import { onlyProviderPaths } from "./http/public-paths.js";
import { SigningKeys } from "./keys/signing-keys.js";
import { createProvider } from "./provider/create-provider.js";
import { ClientCredentials } from "./registry/client-metadata.js";
import { MemoryRegistryStore } from "./registry/memory-store.js";
import type { RegistryStore, ServiceRecord } from "./registry/store.js";
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from "./replay/replay-cache.js";

/** What `createAuthServer` may be given besides its config. */
export interface AuthServerDeps {
  /** Logger for audit and operational events (default: service-kit's pino logger). */
  readonly logger?: Logger;
  /** Redis for the replay cache and the shared registry; in-memory stores (one process, dev only) without it. */
  readonly redisUrl?: string;
  /** Prefix of every Redis key (default: the config's `redis.keyPrefix`); tests use a unique one per run. */
  readonly redisKeyPrefix?: string;
  /** Where `secretEnv` variables are looked up (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Where a started server listens. */
export interface ListeningAddress {
  readonly port: number;
  readonly issuer: string;
}

/** A configured auth server, not yet listening. */
export interface AuthServer {
  /** Starts serving on `port` (0 = any free port) of `host` (default 127.0.0.1). */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops accepting, ends open connections, closes Redis. */
  close(): Promise<void>;
  /** The issuer identifier: from the config, else `http://<host>:<port>` once listening. */
  readonly issuer: string;
}

/**
 * The composition root. Validates what the config references before anything listens: every
 * enabled service's secret variable or file (`missing_secret` names it) and JWKS file, and the
 * signing keys (`invalid_key_file`). One `node:http` server dispatches `/healthz`, `/readyz`
 * (and `/admin` when enabled on this port) to a Koa app of its own, everything else to
 * oidc-provider, which answers only the token, JWKS and discovery endpoints.
 */
export function createAuthServer(config: AuthServerConfig, deps: AuthServerDeps = {}): AuthServer {
  const logger = deps.logger ?? createLogger("auth-server");
  const credentials = new ClientCredentials(deps.env ?? process.env);
  const records: ServiceRecord[] = Object.entries(config.services).map(([id, definition]) => ({ id, ...definition }));
  for (const record of records) if (!record.disabled) credentials.check(record);
  const keys = SigningKeys.fromConfig(config.keys, logger);
  const prefix = deps.redisKeyPrefix ?? config.redis.keyPrefix;
  const redis =
    deps.redisUrl === undefined
      ? undefined
      : new Redis(deps.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: 2000, enableAutoPipelining: true });
  const registry: RegistryStore = new MemoryRegistryStore();
  const replay: ReplayCache = redis === undefined ? new MemoryReplayCache() : new RedisReplayCache(redis, prefix);
  if (redis === undefined) logger.warn("no REDIS_URL: registry and assertion replay cache are in memory (one process, development only)");

  let issuer = config.issuer;
  let providerHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let serving = false;
  let server: Server | undefined;
  let keyTimer: NodeJS.Timeout | undefined;
  let publishedKids = "";

  const ownApp = createOwnApp(
    logger,
    [
      healthRouter({
        serving: () => serving,
        checks: () => (redis === undefined ? {} : { redis: () => redis.ping().then(() => true) }),
      }),
    ],
    config.http.proxy,
  );
  const ownHandler = ownApp.callback();

  const buildProvider = (currentIssuer: string) => {
    publishedKids = keys
      .published()
      .map((k) => k.kid)
      .join(" ");
    const provider = createProvider({
      issuer: currentIssuer,
      config,
      registry,
      credentials,
      keys,
      replay,
      middleware: [onlyProviderPaths(config.http.bodyLimitBytes)],
      beforeClientLookup: () => Promise.resolve(),
    });
    const handle = provider.callback();
    providerHandler = (req, res) => void handle(req, res);
  };

  // A rotated key file, or a key whose retirement time passed, changes what the JWKS publishes:
  // the provider is rebuilt with the new key set (requests in flight finish on the old one).
  const watchKeys = (currentIssuer: string) => {
    const everyMs = config.keys.reloadIntervalSeconds * 1000;
    if (everyMs === 0) return;
    keyTimer = setInterval(() => {
      const reloaded = keys.reload(logger);
      const kids = keys
        .published()
        .map((k) => k.kid)
        .join(" ");
      if (reloaded || kids !== publishedKids) {
        buildProvider(currentIssuer);
        logger.info({ published: kids, signing: keys.signingKid() }, "signing keys changed");
      }
    }, everyMs);
    keyTimer.unref();
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (path === "/healthz" || path === "/readyz") {
      void ownHandler(req, res);
      return;
    }
    if (providerHandler === undefined || !serving) {
      const error = new AuthServerError("service_unavailable", "the server is not serving yet");
      res.writeHead(error.status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(JSON.stringify(error.toBody()));
      return;
    }
    providerHandler(req, res);
  };

  return {
    get issuer(): string {
      if (issuer === undefined) throw new Error("the issuer is decided at listen time: call listen() first or set issuer in the config");
      return issuer;
    },
    async listen(port = 0, host = "127.0.0.1"): Promise<ListeningAddress> {
      if (server !== undefined) throw new Error("already listening");
      if (redis !== undefined) await redis.connect();
      await registry.seed(records);
      const httpServer = createServer({ keepAliveTimeout: 5000 }, dispatch);
      server = httpServer;
      await new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          resolve();
        });
      });
      const address = httpServer.address() as AddressInfo;
      issuer ??= `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
      buildProvider(issuer);
      watchKeys(issuer);
      serving = true;
      logger.info({ port: address.port, issuer, registry: registry.kind, replayCache: replay.kind }, "auth server listening");
      return { port: address.port, issuer };
    },
    async close(): Promise<void> {
      serving = false;
      clearInterval(keyTimer);
      const current = server;
      server = undefined;
      if (current !== undefined) {
        await new Promise<void>((resolve) => {
          current.close(() => resolve());
          current.closeIdleConnections();
        });
      }
      await registry.close();
      if (redis !== undefined) await redis.quit().catch(() => undefined);
    },
  };
}
