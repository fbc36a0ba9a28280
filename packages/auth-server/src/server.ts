import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type Router from "@koa/router";
import type Koa from "koa";
import { Provider } from "oidc-provider";
import { B64TOKEN, uriSans } from "@gatehouse/sdk";
import { ClientAddressResolver, closeServer, connectionErrorLogger, createHttpServer, createHttpsServer, createLogger, flushLogs, LOG_FLUSH_TIMEOUT_MS, createRedisClient, describeRedisTarget, listen, MemoryRateLimitStore, parseRedisUrl, RedisRateLimitStore, type Logger } from "@gatehouse/service-kit";
import { CertificateAuthority } from "./ca/certificate-authority.js";
import { certificateRequests, TRUST_BUNDLE_PATH } from "./ca/certificate-request.js";
import { isTrustDomain, trustDomainOf } from "./ca/spiffe.js";
import type { CertificateRenewal } from "./ca/certificate-request.js";
import { trustBundleRouter } from "./ca/trust-bundle-router.js";
import { boundTokenErrors } from "./tls/bound-token-errors.js";
import { peerCertificate } from "./tls/client-certificate.js";
import { createListenerTls, type ListenerTls } from "./tls/listener-tls.js";
import type { AuthServerConfig } from "./config/schema.js";
import { AuthServerError } from "./errors.js";
import { MIN_ADMIN_TOKEN_LENGTH, requireAdmin } from "./http/admin/admin-auth.js";
import { adminRouter } from "./http/admin/admin-router.js";
import { createAdminTokenVerifier } from "./http/admin/admin-token.js";
import { clientAddressOf, resolveClientAddress } from "./http/client-address.js";
import { healthRouter } from "./http/health.js";
import { metricsRouter } from "./http/metrics-router.js";
import { createOwnApp } from "./http/own-app.js";
import { onlyProviderPaths } from "./http/public-paths.js";
import { FEED_PATH, revocationFeed } from "./http/revocation-feed.js";
import { SigningKeys } from "./keys/signing-keys.js";
import { auditTokenEvents } from "./observe/audit.js";
import { AuthMetrics } from "./observe/metrics.js";
import { AuthSecurityEvents } from "./observe/security-events.js";
import { observeTokenEndpoint } from "./observe/token-observer.js";
import { createProvider } from "./provider/create-provider.js";
import { ServiceAccountAssertions } from "./provider/service-account-assertion.js";
import { ClientCredentials } from "./registry/client-metadata.js";
import { MemoryRegistryStore } from "./registry/memory-store.js";
import { RegistryMac } from "./registry/registry-mac.js";
import { RedisRegistryStore } from "./registry/redis-store.js";
import type { RegistryStore, ServiceRecord } from "./registry/store.js";
import { MemoryRevocationStore } from "./revocation/memory-store.js";
import { RedisRevocationStore } from "./revocation/redis-store.js";
import { Revocations } from "./revocation/revocations.js";
import { SecurityEventSigner } from "./revocation/security-event.js";
import type { RevocationStore } from "./revocation/store.js";
import { MemoryReplayCache, RedisReplayCache, type ReplayCache } from "./replay/replay-cache.js";
import { AuthThrottle, ThrottledError, type ThrottleState } from "./throttle/auth-throttle.js";
import { MemoryFailureCounter, RedisFailureCounter } from "./throttle/failure-counter.js";
import { IssuanceLimit } from "./throttle/issuance-limit.js";

/** (client, resource) pairs whose issuance ceiling one process tracks without Redis (least recently used dropped). */
const ISSUANCE_MEMORY_MAX_KEYS = 50_000;

/** What `createAuthServer` may be given besides its config. */
export interface AuthServerDeps {
  /** Logger for audit and operational events (default: service-kit's pino logger). */
  readonly logger?: Logger;
  /** Redis for the replay cache, the shared registry and the throttle; in-memory stores (one process, dev only) without it. */
  readonly redisUrl?: string;
  /** Redis for the security event stream (`EVENTS_REDIS_URL`); defaults to `redisUrl`. */
  readonly eventsRedisUrl?: string;
  /** Prefix of every Redis key (default: the config's `redis.keyPrefix`); tests use a unique one per run. */
  readonly redisKeyPrefix?: string;
  /** Where `secretEnv` variables and the admin credential are looked up (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Where a started server listens. */
export interface ListeningAddress {
  readonly port: number;
  readonly issuer: string;
  /** The admin listener's port when `admin.port` is configured. */
  readonly adminPort?: number;
}

/** A configured auth server, not yet listening. */
export interface AuthServer {
  /** Starts serving on `port` (0 = any free port) of `host` (default 127.0.0.1). */
  listen(port?: number, host?: string): Promise<ListeningAddress>;
  /** Stops accepting, lets requests in flight finish (at most 5 s), closes Redis, writes out the buffered log lines. */
  close(): Promise<void>;
  /** The issuer identifier: from the config, else `http://<host>:<port>` once listening. */
  readonly issuer: string;
}

/**
 * The composition root. Validates what the config references before anything listens: every
 * enabled service's secret variable or file (`missing_secret` names it) and JWKS file, the signing
 * keys (`invalid_key_file`) and, with the admin API on, its credential. One `node:http` server
 * dispatches `/healthz`, `/readyz` (and `/admin`, `/metrics` when they live on this port) to a Koa
 * app of its own and everything else to oidc-provider, which answers only the token, JWKS and
 * discovery endpoints; `admin.port` gives the admin API and metrics a listener of their own.
 */
export function createAuthServer(config: AuthServerConfig, deps: AuthServerDeps = {}): AuthServer {
  const logger = deps.logger ?? createLogger("auth-server");
  const env = deps.env ?? process.env;
  // The key set of kubernetes_service_account clients is made below, before any client is looked up.
  const credentials = new ClientCredentials(env, () => serviceAccounts.publicJwks());
  const records: ServiceRecord[] = Object.entries(config.services).map(([id, definition]) => ({ id, ...definition }));
  for (const record of records) if (!record.disabled) credentials.check(record);
  const keys = SigningKeys.fromConfig(config.keys, logger);
  const adminToken = adminCredential(config, env);

  const prefix = deps.redisKeyPrefix ?? config.redis.keyPrefix;
  const redisTarget = deps.redisUrl === undefined ? undefined : parseRedisUrl(deps.redisUrl);
  // Connected in listen(), so that an unreachable Redis stops the start with a message.
  const redis = redisTarget === undefined ? undefined : createRedisClient(redisTarget, { name: "auth-server", logger, lazyConnect: true });
  const registry: RegistryStore = redis === undefined ? new MemoryRegistryStore() : new RedisRegistryStore(redis, prefix, logger, RegistryMac.fromConfig(config.keys, logger));
  const replay: ReplayCache = redis === undefined ? new MemoryReplayCache() : new RedisReplayCache(redis, prefix);
  const counter = redis === undefined ? new MemoryFailureCounter() : new RedisFailureCounter(redis, prefix);
  const throttle = new AuthThrottle(counter, config.throttle.maxFailures, config.throttle.windowSeconds, logger);
  const issuance = new IssuanceLimit(
    redis === undefined ? new MemoryRateLimitStore({ maxKeys: ISSUANCE_MEMORY_MAX_KEYS }) : new RedisRateLimitStore(redis),
    { perSecond: config.issuance.perSecond, burst: config.issuance.burst, keyPrefix: prefix },
    logger,
  );
  const metrics = new AuthMetrics();
  const serviceAccounts = new ServiceAccountAssertions({
    registry,
    replay,
    logger,
    issuer: () => issuer ?? "",
    source: (ctx) => clientAddressOf(ctx),
    clockToleranceSeconds: config.tokens.clockToleranceSeconds,
  });
  const serviceAccountStep = serviceAccounts.middleware();
  const revocationStore: RevocationStore = redis === undefined ? new MemoryRevocationStore() : new RedisRevocationStore(redis, prefix, logger);
  const events = new AuthSecurityEvents(config.events, {
    redisUrl: deps.eventsRedisUrl ?? deps.redisUrl,
    logger,
    registry: metrics.registry,
    store: redis === undefined ? undefined : { redis, keyPrefix: prefix },
  });
  const revocations = new Revocations({ store: revocationStore, registry, keys, tokens: config.tokens, logger, metrics: metrics.registry, events });
  const addresses = new ClientAddressResolver(config.http.trustedProxies);
  if (redis === undefined) logger.warn("no REDIS_URL: registry, replay cache and throttle are in memory (one process, development only)");

  let issuer = config.issuer;
  let providerHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let serving = false;
  const servers: Server[] = [];
  let keyTimer: NodeJS.Timeout | undefined;
  let caTimer: NodeJS.Timeout | undefined;
  let authority: CertificateAuthority | undefined;
  let listenerTls: ListenerTls | undefined;
  let trustDomain = "";
  let publishedKids = "";

  const health = healthRouter(() => ({ accepting: () => serving, ...(redis === undefined ? {} : { redis: () => registry.ping() }) }));
  const verifyToken =
    config.admin.audience === undefined
      ? undefined
      : createAdminTokenVerifier(keys, () => issuer ?? "", config.admin.audience);
  const adminGuard =
    adminToken === undefined && verifyToken === undefined
      ? undefined
      : requireAdmin({ credential: adminToken, verifyToken, scope: config.admin.scope, logger, throttle, events });
  const admin: Router[] =
    config.admin.enabled && adminGuard !== undefined
      ? [adminRouter({ guard: adminGuard, registry, credentials, logger, metrics, events, keys, bodyLimitBytes: config.http.bodyLimitBytes, revocations })]
      : [];
  const feedTokens =
    config.revocation.audience === undefined ? undefined : createAdminTokenVerifier(keys, () => issuer ?? "", config.revocation.audience);
  const feed =
    adminToken === undefined && feedTokens === undefined
      ? undefined
      : revocationFeed({
          guard: requireAdmin({ credential: adminToken, verifyToken: feedTokens, scope: config.revocation.scope, logger, throttle }),
          store: revocationStore,
          revocations,
          signer: new SecurityEventSigner(keys, () => issuer ?? ""),
          heartbeatSeconds: config.revocation.heartbeatSeconds,
          logger,
          metrics: metrics.registry,
        });
  const separateAdmin = config.admin.port !== undefined;
  const publicMetrics = !separateAdmin && adminGuard !== undefined ? [metricsRouter(metrics, adminGuard)] : [];
  const feedRouters = feed === undefined ? [] : [feed.router];
  const trustBundle = trustBundleRouter(() => authority);
  const publicApp = createOwnApp(logger, [health, trustBundle, ...feedRouters, ...(separateAdmin ? [] : admin), ...publicMetrics], config.http.proxy, addresses).callback();
  const adminApp = separateAdmin ? createOwnApp(logger, [health, ...admin, metricsRouter(metrics)], config.http.proxy, addresses).callback() : undefined;
  const ownPath = (path: string) =>
    path === "/healthz" ||
    path === "/readyz" ||
    path === TRUST_BUNDLE_PATH ||
    (publicMetrics.length > 0 && path === "/metrics") ||
    (feed !== undefined && path === FEED_PATH) ||
    (!separateAdmin && admin.length > 0 && (path === "/admin" || path.startsWith("/admin/")));

  // One throttle admission per token request, taken when oidc-provider looks its client up.
  const admitClient = async (clientId: string, known: boolean) => {
    const ctx = Provider.ctx;
    if (ctx === undefined) return;
    const state = ctx.state as ThrottleState;
    if (state.admission !== undefined) return;
    try {
      state.admission = await throttle.admit(known ? clientId : undefined, clientAddressOf(ctx));
      if (known) await revocations.holdIssuance(clientId);
    } catch (error) {
      if (error instanceof ThrottledError) state.throttledFor = error.retryAfterSeconds;
      throw error;
    }
  };

  const buildProvider = (currentIssuer: string) => {
    publishedKids = kidsOf(keys);
    const provider = createProvider({
      issuer: currentIssuer,
      config,
      registry,
      credentials,
      keys,
      replay,
      issuance,
      middleware: [
        resolveClientAddress(addresses),
        onlyProviderPaths(config.http.bodyLimitBytes),
        // Before the ServiceAccount step: a certificate request becomes a token request with its body already read.
        certificateRequests(config.http.bodyLimitBytes, trustDomain),
        serviceAccountStep,
        observeTokenEndpoint(metrics, throttle, events),
        boundTokenErrors,
      ],
      admitClient,
      transport: () => {
        const ctx = Provider.ctx;
        if (ctx === undefined) return undefined;
        const certificate = peerCertificate(ctx);
        return { trustDomain, clientCertificateUris: certificate === undefined ? [] : uriSans(certificate), renewal: (ctx.state as CertificateRenewal).renewal === true };
      },
      certificates: { authority: currentAuthority(), trustDomain, ttlSeconds: config.certificates.ttlSeconds },
      logger,
    });
    auditTokenEvents(provider, logger, events);
    provider.on("server_error", (_ctx, error) => logger.error({ err: error }, "token endpoint error"));
    // oidc-provider is a Koa app; its typings list only its own events, so Koa's `error` is added through the Koa type.
    const koa: Koa = provider;
    koa.on("error", connectionErrorLogger(logger));
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
      if (reloaded || kidsOf(keys) !== publishedKids) {
        buildProvider(currentIssuer);
        logger.info({ published: publishedKids, signing: keys.signingKid() }, "signing keys changed");
      }
    }, everyMs);
    keyTimer.unref();
  };

  const currentAuthority = (): CertificateAuthority => {
    if (authority === undefined) throw new Error("the certificate authority is loaded at listen time");
    return authority;
  };

  // A rotated CA file reaches the signer and the trust bundle on the next request; the bundle is
  // computed per request, so retirement by the clock needs no reload.
  // The HTTPS listener's certificate is renewed at half-life and its trust bundle follows the CA:
  // both reach the running server through setSecureContext (connections in flight keep theirs).
  const watchAuthority = (ca: CertificateAuthority, tls: ListenerTls | undefined, server: HttpsServer | undefined) => {
    const everyMs = config.ca.reloadIntervalSeconds * 1000;
    if (everyMs === 0) return;
    caTimer = setInterval(() => {
      ca.reload(logger);
      if (tls === undefined || server === undefined) return;
      tls
        .refresh()
        .then((changed) => {
          if (changed) server.setSecureContext(tls.options());
        })
        .catch((error: unknown) => logger.error({ err: error }, "TLS identity could not be refreshed; keeping the current one"));
    }, everyMs);
    caTimer.unref();
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    if (ownPath(query < 0 ? url : url.slice(0, query))) {
      void publicApp(req, res);
      return;
    }
    if (providerHandler === undefined || !serving) {
      const error = new AuthServerError("service_unavailable", "the server is not serving");
      res.writeHead(error.status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(JSON.stringify(error.toBody()));
      return;
    }
    providerHandler(req, res);
  };

  const close = async () => {
    serving = false;
    clearInterval(keyTimer);
    feed?.closeAll();
    revocations.close();
    clearInterval(caTimer);
    await Promise.all(servers.splice(0).map((server) => closeServer(server, 5000)));
    await registry.close();
    await revocationStore.close();
    await events.close();
    if (redis !== undefined) await redis.quit().catch(() => redis.disconnect());
    // Audit lines of the last requests are in the log buffer: write them out before the caller exits.
    await flushLogs(LOG_FLUSH_TIMEOUT_MS);
  };

  return {
    get issuer(): string {
      if (issuer === undefined) throw new Error("the issuer is decided at listen time: call listen() first or set issuer in the config");
      return issuer;
    },
    async listen(port = 0, host = "127.0.0.1"): Promise<ListeningAddress> {
      if (servers.length > 0) throw new Error("already listening");
      try {
        if (redis !== undefined && redisTarget !== undefined) {
          await redis.connect().catch((error: unknown) => {
            const where = describeRedisTarget(redisTarget);
            throw new AuthServerError("service_unavailable", `Redis at ${where} did not answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
          });
        }
        const beforeSeed = new Map((await registry.list()).map((record) => [record.id, record]));
        await registry.seed(records);
        revocations.start();
        // A changed config file is a registry change too: the services it changed lose their tokens.
        for (const record of await registry.list()) {
          const before = beforeSeed.get(record.id);
          if (before !== undefined) await revocations.accessChanged(before, record, "config-file");
        }
        trustDomain = trustDomainOf(issuer ?? `http://${host.includes(":") ? `[${host}]` : host}`, config.trustDomain);
        if (!isTrustDomain(trustDomain)) {
          throw new AuthServerError("invalid_config", `trustDomain: the issuer's host "${trustDomain}" is not a SPIFFE trust domain; set trustDomain`);
        }
        authority = await CertificateAuthority.fromConfig(config.ca, trustDomain, logger);
        let server: Server;
        let https: HttpsServer | undefined;
        if (config.tls === undefined) {
          server = createHttpServer(config.listener, dispatch);
        } else {
          const tlsHost = issuer === undefined ? host : new URL(issuer).hostname;
          listenerTls = await createListenerTls(config.tls, authority, { trustDomain, host: tlsHost, ttlSeconds: config.certificates.ttlSeconds }, logger);
          // Client certificates are asked for but optional; oidc-provider decides what a missing or
          // unverified one means (tls_client_auth, certificate-bound tokens).
          https = createHttpsServer(config.listener, { ...listenerTls.options(), requestCert: true, rejectUnauthorized: false }, dispatch);
          https.on("tlsClientError", (error, socket) => logger.warn({ err: error.message, remote: socket.remoteAddress }, "TLS handshake failed"));
          server = https;
        }
        const address = await listenOn(servers, server, port, host);
        const scheme = config.tls === undefined ? "http" : "https";
        issuer ??= `${scheme}://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
        watchAuthority(authority, listenerTls, https);
        buildProvider(issuer);
        watchKeys(issuer);
        let adminPort: number | undefined;
        if (adminApp !== undefined && config.admin.port !== undefined) {
          adminPort = (await listenOn(servers, createHttpServer(config.listener, (req, res) => void adminApp(req, res)), config.admin.port, config.admin.host)).port;
        }
        serving = true;
        logger.info(
          { port: address.port, issuer, adminPort, admin: admin.length > 0, registry: registry.kind, replayCache: replay.kind, signing: keys.signingKid(), trustDomain, ca: authority.describe().signing },
          "auth server listening",
        );
        return adminPort === undefined ? { port: address.port, issuer } : { port: address.port, issuer, adminPort };
      } catch (error) {
        await close();
        throw error;
      }
    },
    close,
  };
}

function adminCredential(config: AuthServerConfig, env: NodeJS.ProcessEnv): string | undefined {
  const name = config.admin.tokenEnv;
  const value = env[name];
  if (value !== undefined && value.length >= MIN_ADMIN_TOKEN_LENGTH && B64TOKEN.pattern.test(value)) return value;
  if (config.admin.enabled && value !== undefined && value !== "") {
    throw new AuthServerError(
      "invalid_config",
      `admin.tokenEnv: environment variable ${name} must hold at least ${MIN_ADMIN_TOKEN_LENGTH} characters of a bearer credential (RFC 6750 b64token: letters, digits, - . _ ~ + / and = at the end), e.g. from openssl rand -base64 32`,
    );
  }
  if (config.admin.enabled && config.admin.audience === undefined) {
    throw new AuthServerError(
      "invalid_config",
      `admin.tokenEnv: environment variable ${name} must hold the admin credential (at least ${MIN_ADMIN_TOKEN_LENGTH} characters), or set admin.audience`,
    );
  }
  return undefined;
}

function kidsOf(keys: SigningKeys): string {
  return keys
    .published()
    .map((k) => k.kid)
    .join(" ");
}

function listenOn(servers: Server[], server: Server, port: number, host: string): Promise<AddressInfo> {
  servers.push(server);
  return listen(server, port, host);
}
