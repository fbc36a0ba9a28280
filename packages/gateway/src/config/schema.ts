import { ATTRIBUTE_NAME, CHALLENGE_VALUE, SCOPE_TOKEN, SERVICE_ID, VERIFIER_DEFAULTS } from "@gatehouse/sdk";
import { DEFAULT_MEMORY_MAX_KEYS, eventsConfigSchema, LISTENER_DESCRIPTION, listenerFields, listenerTimeoutsRule, trustedProxySchema } from "@gatehouse/service-kit";
import { z } from "zod";
import { canonicalizeTarget, PATH_FORMS, type PathForm } from "../routes/canonical-path.js";

/** HTTP methods a route may name. */
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const serviceId = z.string().regex(SERVICE_ID.pattern, SERVICE_ID.message);

const pathPrefix = z
  .string()
  .startsWith("/", "must start with '/'")
  .refine((value) => value === "/" || !value.endsWith("/"), "must not end with '/' (prefixes match whole segments)")
  .refine((value) => !value.includes("?"), "must not contain a query")
  .refine((value) => {
    try {
      return canonicalizeTarget(value).path === value;
    } catch {
      return false;
    }
  }, "must be a canonical path (no '//', dot segments, ';', backslash, or escapes of unreserved characters)");

const upstreamUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .refine((value) => {
    const url = new URL(value);
    return url.search === "" && url.hash === "" && url.username === "" && url.password === "";
  }, "must not contain a query, fragment or credentials");

const listenerTlsSchema = z.strictObject({
  certFile: z.string().min(1).optional().describe("PEM certificate chain of the listener (re-read when it changes: renewed without a restart)."),
  keyFile: z.string().min(1).optional().describe("PEM private key of `certFile`."),
  fromIssuer: z
    .boolean()
    .default(false)
    .describe("Instead of files: the gateway's own certificate from the issuer's CA (`identity`), renewed in the process at half-life."),
  clientCertificates: z
    .enum(["off", "optional", "require"])
    .default("optional")
    .describe("`off`: none asked; `optional`: asked, checked against the trust bundle when sent; `require`: a handshake without a valid one fails with a TLS alert."),
  trustBundleFile: z
    .string()
    .min(1)
    .optional()
    .describe("PEM CA certificates client certificates must chain to (the auth server's `gatehouse_trust_bundle_uri`); needed with files unless `clientCertificates: off` (`fromIssuer` uses the issuer's bundle)."),
  minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.3").describe("Lowest TLS version accepted."),
  reloadIntervalSeconds: z.int().min(0).max(3600).default(5).describe("How often the files are checked for changes (0 = never)."),
}).superRefine((tls, ctx) => {
  const files = tls.certFile !== undefined || tls.keyFile !== undefined;
  if (tls.fromIssuer === files) ctx.addIssue({ code: "custom", message: "set either certFile and keyFile, or fromIssuer: true" });
  if (files && (tls.certFile === undefined || tls.keyFile === undefined)) ctx.addIssue({ code: "custom", path: ["keyFile"], message: "set certFile and keyFile together" });
  if (files && tls.clientCertificates !== "off" && tls.trustBundleFile === undefined) {
    ctx.addIssue({ code: "custom", path: ["trustBundleFile"], message: "is required unless clientCertificates is off or fromIssuer is true" });
  }
});

const identitySchema = z
  .strictObject({
    clientId: serviceId.default("gateway").describe("The gateway's service id in the registry."),
    method: z.enum(["client_secret_basic", "client_secret_post"]).default("client_secret_basic").describe("How the gateway authenticates its certificate requests."),
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional().describe("Environment variable holding the gateway's client secret."),
    secretFile: z.string().min(1).optional().describe("File holding the gateway's client secret."),
  })
  .refine((identity) => (identity.secretEnv === undefined) !== (identity.secretFile === undefined), { error: "set exactly one of secretEnv, secretFile" })
  .describe("The gateway as a registered service, for `fromIssuer` certificates (the SDK's createServiceIdentity).");

const policySchema = z
  .strictObject({
    scopes: z.array(z.string().regex(SCOPE_TOKEN.pattern, SCOPE_TOKEN.message)).default([])
      .describe("Scopes the token must carry, all of them."),
    services: z.array(serviceId).min(1).optional()
      .describe("Calling services allowed on this route; absent means any authenticated service."),
    attributes: z.record(z.string().regex(ATTRIBUTE_NAME.pattern, ATTRIBUTE_NAME.message), z.string()).default({})
      .describe("Attributes the caller must have, each with exactly this value (from the token's `urn:gatehouse:attributes`)."),
    boundTokens: z.boolean().default(false)
      .describe("Accept only certificate-bound tokens (`cnf.x5t#S256`, RFC 8705), on a TLS connection with their client certificate."),
  })
  .describe("What a verified caller needs to pass this route.");

const rateLimitSchema = z
  .strictObject({
    limit: z.int().min(1).max(1_000_000_000).describe("Requests allowed per window for each caller."),
    windowSeconds: z.int().min(1).max(86_400 * 31).describe("Length of the window, in whole seconds."),
  })
  .describe("GCRA limit per calling service on this route (per client IP on a public route); absent means unlimited.");

const routeSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be 1–63 characters of a-z, 0-9, '.', '_' or '-'")
      .describe("Names the route in logs, metrics and rate-limit keys; unique."),
    pathPrefix: pathPrefix.describe("Matches this path and everything below it, by whole segments: `/api/orders` matches `/api/orders/1`, not `/api/ordersX`."),
    methods: z.array(z.enum(HTTP_METHODS)).min(1).optional().describe("Methods this route accepts; all when absent."),
    host: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a lower-case host name without a port")
      .optional()
      .describe("Only requests whose Host header names this host match (port ignored)."),
    public: z.boolean().default(false).describe("No token required (e.g. to publish the auth server's /token); needs `rateLimit`, applied per client IP."),
    upstreams: z.array(upstreamUrl).min(1).describe("Backend base URLs, used round-robin; a failing one is skipped for `proxy.unhealthyCooldownMs`."),
    audience: z.string().min(1).optional().describe("The resource URI the token's `aud` must contain; required unless `public`."),
    policy: policySchema.prefault({}),
    rateLimit: rateLimitSchema.optional(),
    upstreamIdentity: z
      .string()
      .regex(/^spiffe:\/\/[a-z0-9._-]+\/[A-Za-z0-9._/-]+$/, "must be a SPIFFE ID: spiffe://<trust domain>/<service id>")
      .optional()
      .describe("The SPIFFE ID the `https://` upstreams' certificates must carry (checked instead of the host name); a mismatch answers 502."),
    stripPrefix: z.boolean().default(false).describe("Forward the path without `pathPrefix` (`/api/orders/1` → `/1`)."),
    allowPathForms: z
      .array(z.enum(Object.keys(PATH_FORMS) as [PathForm, ...PathForm[]]))
      .default([])
      .describe(
        "Path forms this route forwards instead of refusing with 400: `trailing-dot` (a segment ending in `.`), `encoded-whitespace` (`%20`, `%C2%A0`…), " +
          "`unstable-unicode` (non-ASCII that NFKC or case mapping changes, e.g. `%EF%BC%8F`, `%C4%B1`). Only for backends that match paths byte for byte.",
      ),
    forwardOverrideHeaders: z
      .boolean()
      .default(false)
      .describe(
        "Forward `X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, `X-Original-URL`, `X-Original-URI` and `X-Rewrite-URL` " +
          "(dropped otherwise): only for a backend that needs them and whose every method and path they can reach is allowed by this route's policy.",
      ),
  })
  .superRefine((route, ctx) => {
    if (route.public) {
      if (route.rateLimit === undefined) {
        ctx.addIssue({ code: "custom", path: ["rateLimit"], message: "a public route needs a rate limit (it is applied per client IP)" });
      }
      if (route.audience !== undefined || route.policy.scopes.length > 0 || route.policy.services !== undefined || Object.keys(route.policy.attributes).length > 0) {
        ctx.addIssue({ code: "custom", path: ["public"], message: "a public route takes no token, so it cannot have an audience or a policy" });
      }
    } else if (route.audience === undefined) {
      ctx.addIssue({ code: "custom", path: ["audience"], message: "required unless the route is public" });
    }
  });

const revocationSchema = z
  .strictObject({
    feed: z
      .union([z.literal(true), z.url({ protocol: /^https?$/ })])
      .describe("Subscribe to the auth server's revocation feed: `true` for `<issuer>/revocations`, or its URL."),
    maxStaleSeconds: z.int().min(1).max(86_400).default(30)
      .describe("How long the feed may be away (no event, no keep-alive) before `failureMode` applies."),
    failureMode: z.enum(["open", "closed"]).default("open")
      .describe("Once stale: `open` keeps the last snapshot; `closed` also refuses tokens issued before the last sync (503 before the first)."),
    clientId: serviceId.default("gateway").describe("The gateway's own service id at the auth server (it reads the feed with its own token)."),
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional()
      .describe("Environment variable holding the gateway's client secret (`client_secret_basic`); or `secretFile`."),
    secretFile: z.string().min(1).optional()
      .describe("File holding the gateway's client secret (e.g. a mounted secret under `/run/secrets`); or `secretEnv`."),
    resource: z.url({ protocol: /^https?$/ })
      .describe("The feed's audience: the auth server's `revocation.audience`."),
    scope: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "must be an RFC 6749 scope token").default("gatehouse:revocations")
      .describe("The scope the feed token carries."),
  })
  .refine((revocation) => (revocation.secretEnv === undefined) !== (revocation.secretFile === undefined), { error: "set exactly one of secretEnv, secretFile" })
  .describe("Revocation enforcement: refuse revoked tokens (by jti, service, signing key) within a second; absent means no revocation check.");

/**
 * The gateway's config file (docs/architecture.md, "Interfaces operators script against"). Strict at every level: a misspelled key is an error
 * naming its dotted path. Cross-route rules (unique names, no route shadowing another) are
 * checked here too, so a bad table never reaches the matcher.
 */
export const gatewayConfigSchema = z
  .strictObject({
    issuer: z.url({ protocol: /^https?$/ }).describe("The auth server's issuer URL; keys come from its discovery document (env `GATEHOUSE_ISSUER` overrides)."),
    identity: identitySchema.optional(),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().describe("JWKS URL, when keys should not be discovered from the issuer (env `GATEHOUSE_JWKS_URI` overrides)."),
    realm: z.string().regex(CHALLENGE_VALUE.pattern, CHALLENGE_VALUE.message).default("gatehouse").describe("The `realm` of every `WWW-Authenticate` challenge."),
    routes: z.array(routeSchema).min(1).describe("The route table. The longest matching `pathPrefix` wins; a route with a `host` beats one without."),
    verifier: z
      .strictObject({
        clockToleranceSec: z.int().min(0).max(300).default(VERIFIER_DEFAULTS.clockToleranceSec).describe("Clock skew allowed on `exp`, `iat` and `nbf`."),
        maxTokenAgeSec: z.int().min(1).optional().describe("Refuse tokens issued longer ago than this, whatever their `exp`."),
        cacheSize: z.int().min(0).default(VERIFIER_DEFAULTS.cacheSize).describe("Verified tokens kept in the LRU (valid until their `exp`)."),
        cacheMaxBytes: z
          .int()
          .min(0)
          .default(VERIFIER_DEFAULTS.cacheMaxBytes)
          .describe("Heap bytes the verified-token LRU may hold (estimated as 2 bytes per token character + 512); whichever bound is reached first evicts."),
        jwksCooldownMs: z.int().min(0).default(VERIFIER_DEFAULTS.jwks.cooldownMs).describe("Least time between two JWKS fetches triggered by an unknown `kid`."),
        jwksStaleIfErrorSec: z.int().min(0).default(VERIFIER_DEFAULTS.jwks.staleIfErrorSec).describe("How long the last known keys keep serving while the JWKS cannot be fetched."),
        jwksTimeoutMs: z.int().min(1).default(VERIFIER_DEFAULTS.jwks.timeoutMs).describe("Timeout of one JWKS or discovery fetch."),
        trustBundleFile: z.string().min(1).optional().describe("PEM CA certificates to trust for an HTTPS issuer the system does not trust (the Gatehouse dev trust bundle); re-read when the file changes, so a CA rotation needs no restart."),
      })
      .prefault({})
      .describe("Token verification (the SDK verifier; defaults are the SDK's `VERIFIER_DEFAULTS`)."),
    rateLimiting: z
      .strictObject({
        failureMode: z.enum(["open", "closed", "local"]).default("local")
          .describe("When Redis fails: `open` lets requests through, `closed` answers 503, `local` limits in-process at limit ÷ `replicas`."),
        replicas: z.int().min(1).default(1).describe("Gateway processes sharing the limits (hosts × workers); divides the limit in `local` mode."),
        keyPrefix: z.string().min(1).default("gatehouse:rl:").describe("Prefix of every Redis key the limiter writes."),
        redisCommandTimeoutMs: z.int().min(1).default(250).describe("A Redis call slower than this counts as a store failure (the failure mode applies to that request)."),
        localMaxKeys: z.int().min(1).default(DEFAULT_MEMORY_MAX_KEYS).describe("Keys the in-process limiter keeps (LRU) in memory mode and in `local` fallback."),
      })
      .prefault({})
      .describe("The rate-limit store (Redis from `REDIS_URL`, else in memory)."),
    proxy: z
      .strictObject({
        connectTimeoutMs: z.int().min(1).default(2_000).describe("Connecting to an upstream slower than this answers 504 and marks the target unhealthy."),
        responseTimeoutMs: z.int().min(1).default(15_000).describe("An upstream that sends no response headers within this answers 504."),
        bodyTimeoutMs: z.int().min(1).default(30_000).describe("Longest pause between two chunks of an upstream response body."),
        maxBodyBytes: z.int().min(0).default(1_048_576).describe("Largest request body forwarded; larger answers 413."),
        connections: z.int().min(1).default(128).describe("Keep-alive connections per upstream target."),
        keepAliveTimeoutMs: z.int().min(1).default(4_000).describe("Idle keep-alive connections to upstreams close after this."),
        unhealthyCooldownMs: z.int().min(0).default(5_000).describe("A target that failed to connect is skipped this long (passive health)."),
        tls: z
          .strictObject({
            fromIssuer: z.boolean().default(false).describe("Present the gateway's own certificate from the issuer's CA (`identity`) and trust the issuer's bundle, instead of files."),
            trustBundleFile: z.string().min(1).optional().describe("PEM CA certificates `https://` upstreams' certificates must chain to (the Gatehouse trust bundle); the system CAs when absent."),
            certFile: z.string().min(1).optional().describe("PEM certificate chain the gateway presents to upstreams (its Gatehouse certificate); needs `keyFile`."),
            keyFile: z.string().min(1).optional().describe("PEM private key of `certFile`."),
            reloadIntervalSeconds: z.int().min(0).max(3600).default(5).describe("How often the files are checked for changes (0 = never); new connections use new files."),
          })
          .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { path: ["keyFile"], error: "set certFile and keyFile together" })
          .optional()
          .describe("TLS towards `https://` upstreams."),
      })
      .prefault({})
      .describe("Forwarding to upstreams."),
    listener: z
      .strictObject({ ...listenerFields, tls: listenerTlsSchema.optional().describe("Serve HTTPS (and mutual TLS) instead of HTTP.") })
      .refine(...listenerTimeoutsRule)
      .prefault({})
      .describe(LISTENER_DESCRIPTION),
    revocation: revocationSchema.optional(),
    trustedProxies: z.array(trustedProxySchema).default([])
      .describe("Peers (IPs or CIDR blocks) whose `X-Forwarded-For` is believed; from anyone else it is replaced by the socket address."),
    accessLog: z.boolean().default(true).describe("Write one JSON access-log line per request."),
    events: eventsConfigSchema,
    shutdownTimeoutMs: z.int().min(0).default(10_000).describe("How long in-flight requests may take to drain on shutdown."),
  })
  .superRefine((config, ctx) => {
    const fromIssuer = config.listener.tls?.fromIssuer === true || config.proxy.tls?.fromIssuer === true;
    if (fromIssuer && config.identity === undefined) ctx.addIssue({ code: "custom", path: ["identity"], message: "is required with fromIssuer: true" });
    const names = new Map<string, number>();
    const slots = new Map<string, { index: number; methods: readonly string[] | undefined }[]>();
    config.routes.forEach((route, index) => {
      if (route.upstreamIdentity !== undefined && route.upstreams.some((upstream) => !upstream.startsWith("https://"))) {
        ctx.addIssue({ code: "custom", path: ["routes", index, "upstreamIdentity"], message: "needs https:// upstreams" });
      }
      const first = names.get(route.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["routes", index, "name"], message: `duplicates the name of routes.${first}` });
      } else {
        names.set(route.name, index);
      }
      const slot = `${route.host ?? ""} ${route.pathPrefix}`;
      const same = slots.get(slot) ?? [];
      const clash = same.find((other) => other.methods === undefined || route.methods === undefined || other.methods.some((m) => route.methods?.includes(m as never)));
      if (clash !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", index, "pathPrefix"],
          message: `routes.${clash.index} already matches this prefix${route.host === undefined ? "" : " and host"} for the same methods`,
        });
      }
      same.push({ index, methods: route.methods });
      slots.set(slot, same);
    });
  });

/** The validated, defaulted, frozen gateway configuration. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
/** One validated route. */
export type RouteConfig = GatewayConfig["routes"][number];
/** The config file as an operator writes it (defaults not yet applied). */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
