import { ATTRIBUTE_NAME, CHALLENGE_VALUE, SCOPE_TOKEN, SERVICE_ID, VERIFIER_DEFAULTS } from "@gatehouse/sdk";
import { listenerSchema, trustedProxySchema } from "@gatehouse/service-kit";
import { z } from "zod";
import { DEFAULT_LOCAL_MAX_KEYS } from "../ratelimit/memory-store.js";
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

const policySchema = z
  .strictObject({
    scopes: z.array(z.string().regex(SCOPE_TOKEN.pattern, SCOPE_TOKEN.message)).default([])
      .describe("Scopes the token must carry, all of them."),
    services: z.array(serviceId).min(1).optional()
      .describe("Calling services allowed on this route; absent means any authenticated service."),
    attributes: z.record(z.string().regex(ATTRIBUTE_NAME.pattern, ATTRIBUTE_NAME.message), z.string()).default({})
      .describe("Attributes the caller must have, each with exactly this value (from the token's `urn:gatehouse:attributes`)."),
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
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .describe("Environment variable holding the gateway's client secret (`client_secret_basic`)."),
    resource: z.url({ protocol: /^https?$/ })
      .describe("The feed's audience: the auth server's `revocation.audience`."),
    scope: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "must be an RFC 6749 scope token").default("gatehouse:revocations")
      .describe("The scope the feed token carries."),
  })
  .describe("Revocation enforcement: refuse revoked tokens (by jti, service, signing key) within a second; absent means no revocation check.");

/**
 * The gateway's config file (docs/architecture.md, "Interfaces operators script against"). Strict at every level: a misspelled key is an error
 * naming its dotted path. Cross-route rules (unique names, no route shadowing another) are
 * checked here too, so a bad table never reaches the matcher.
 */
export const gatewayConfigSchema = z
  .strictObject({
    issuer: z.url({ protocol: /^https?$/ }).describe("The auth server's issuer URL; keys come from its discovery document (env `GATEHOUSE_ISSUER` overrides)."),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().describe("JWKS URL, when keys should not be discovered from the issuer (env `GATEHOUSE_JWKS_URI` overrides)."),
    realm: z.string().regex(CHALLENGE_VALUE.pattern, CHALLENGE_VALUE.message).default("gatehouse").describe("The `realm` of every `WWW-Authenticate` challenge."),
    routes: z.array(routeSchema).min(1).describe("The route table. The longest matching `pathPrefix` wins; a route with a `host` beats one without."),
    verifier: z
      .strictObject({
        clockToleranceSec: z.int().min(0).max(300).default(VERIFIER_DEFAULTS.clockToleranceSec).describe("Clock skew allowed on `exp`, `iat` and `nbf`."),
        maxTokenAgeSec: z.int().min(1).optional().describe("Refuse tokens issued longer ago than this, whatever their `exp`."),
        cacheSize: z.int().min(0).default(VERIFIER_DEFAULTS.cacheSize).describe("Verified tokens kept in the LRU (valid until their `exp`)."),
        jwksCooldownMs: z.int().min(0).default(VERIFIER_DEFAULTS.jwks.cooldownMs).describe("Least time between two JWKS fetches triggered by an unknown `kid`."),
        jwksStaleIfErrorSec: z.int().min(0).default(VERIFIER_DEFAULTS.jwks.staleIfErrorSec).describe("How long the last known keys keep serving while the JWKS cannot be fetched."),
        jwksTimeoutMs: z.int().min(1).default(VERIFIER_DEFAULTS.jwks.timeoutMs).describe("Timeout of one JWKS or discovery fetch."),
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
        localMaxKeys: z.int().min(1).default(DEFAULT_LOCAL_MAX_KEYS).describe("Keys the in-process limiter keeps (LRU) in memory mode and in `local` fallback."),
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
      })
      .prefault({})
      .describe("Forwarding to upstreams."),
    listener: listenerSchema,
    revocation: revocationSchema.optional(),
    trustedProxies: z.array(trustedProxySchema).default([])
      .describe("Peers (IPs or CIDR blocks) whose `X-Forwarded-For` is believed; from anyone else it is replaced by the socket address."),
    accessLog: z.boolean().default(true).describe("Write one JSON access-log line per request."),
    shutdownTimeoutMs: z.int().min(0).default(10_000).describe("How long in-flight requests may take to drain on shutdown."),
  })
  .superRefine((config, ctx) => {
    const names = new Map<string, number>();
    const slots = new Map<string, { index: number; methods: readonly string[] | undefined }[]>();
    config.routes.forEach((route, index) => {
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
