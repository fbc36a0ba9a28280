import { ATTRIBUTE_NAME, SCOPE_TOKEN, SERVICE_ID } from "@gatehouse/sdk";
import { eventsConfigSchema, listenerSchema } from "@gatehouse/service-kit";
import { z } from "zod";
import { trustedProxySchema } from "@gatehouse/service-kit";

/** A DNS name for a certificate's SAN (RFC 1123 host name, lower case, no wildcard). */
const dnsNameSchema = z
  .string()
  .max(253)
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lower-case DNS name without a wildcard");

/** A service id: a DNS label (RFC 1123 §2.1), lower case. It becomes `client_id` and `sub`. */
export const serviceIdSchema = z.string().regex(SERVICE_ID.pattern, SERVICE_ID.message);

/** Names a bad record key by what it must be, not zod's generic "Invalid key in record". */
const keyError = (message: string) => ({
  error: (issue: { code?: string }) => (issue.code === "invalid_key" ? message : undefined),
});

/** One scope token (RFC 6749 §3.3 `scope-token`, without spaces or quotes). */
export const scopeSchema = z.string().regex(SCOPE_TOKEN.pattern, SCOPE_TOKEN.message);

const resourceSchema = z
  .string()
  .refine((value) => {
    const url = URL.parse(value);
    return url !== null && url.hash === "" && !value.includes("#") && (url.protocol === "https:" || url.protocol === "http:");
  }, "must be an absolute http(s) URI without a fragment (RFC 8707 §2)");

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"] as const;

const publicJwkSchema = z
  .looseObject({
    kty: z.enum(["EC", "RSA", "OKP"]).describe("Key type."),
    kid: z.string().min(1).optional().describe("Key id."),
  })
  .superRefine((jwk, ctx) => {
    for (const member of PRIVATE_MEMBERS) {
      if (member in jwk) {
        ctx.addIssue({
          code: "custom",
          path: [member],
          message: member === "k" ? "a symmetric key; register a public key" : "a private key member; register only the public key",
        });
      }
    }
  });

/** A public JWK Set (RFC 7517 §5) a service signs its client assertions with. */
export const publicJwksSchema = z.strictObject({
  keys: z.array(publicJwkSchema).min(1, "must hold at least one key").describe("The public keys."),
});

const privateKeyJwtSchema = z
  .strictObject({
    method: z.literal("private_key_jwt").describe("RFC 7523 client assertion signed with the service's private key (recommended)."),
    jwks: publicJwksSchema.optional().describe("The service's public JWKS, inline."),
    jwksFile: z.string().min(1).optional().describe("Path of a file holding the service's public JWKS (relative to the config file)."),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().describe("URL the service publishes its public JWKS at."),
  })
  .superRefine((auth, ctx) => {
    const set = [auth.jwks, auth.jwksFile, auth.jwksUri].filter((v) => v !== undefined).length;
    if (set !== 1) ctx.addIssue({ code: "custom", message: "set exactly one of jwks, jwksFile, jwksUri" });
  });

const secretSchema = z
  .strictObject({
    method: z
      .enum(["client_secret_basic", "client_secret_post"])
      .describe("Shared secret in the `Authorization: Basic` header or in the form body (RFC 6749 §2.3.1)."),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .optional()
      .describe("Name of the environment variable holding the secret (secrets never sit in the config file)."),
    secretFile: z.string().min(1).optional().describe("Path of a file holding the secret (relative to the config file)."),
  })
  .superRefine((auth, ctx) => {
    const set = [auth.secretEnv, auth.secretFile].filter((v) => v !== undefined).length;
    if (set !== 1) ctx.addIssue({ code: "custom", message: "set exactly one of secretEnv, secretFile" });
  });

/** `system:serviceaccount:<namespace>:<name>`, the subject of a Kubernetes ServiceAccount token. */
export const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

const kubernetesServiceAccountSchema = z
  .strictObject({
    method: z
      .literal("kubernetes_service_account")
      .describe("The pod's projected Kubernetes ServiceAccount token is the client assertion (no secret or key in the pod)."),
    issuer: z.url({ protocol: /^https?$/ }).describe("The cluster's service account issuer (`--service-account-issuer`), compared exactly with the token's `iss`."),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().describe("URL of the cluster's service account JWKS (`<issuer>/openid/v1/jwks`)."),
    jwksFile: z.string().min(1).optional().describe("Path of a file holding the cluster's service account JWKS (relative to the config file)."),
    subject: z
      .string()
      .regex(SERVICE_ACCOUNT_SUBJECT, "must be system:serviceaccount:<namespace>:<name>")
      .describe("The exact `sub` of the service's ServiceAccount tokens: `system:serviceaccount:<namespace>:<name>`."),
    maxLifetimeSeconds: z
      .int()
      .min(600)
      .max(86_400)
      .default(3600)
      .describe("Longest accepted token lifetime (`exp` − `iat`); set the projected volume's `expirationSeconds` at or below it."),
  })
  .superRefine((auth, ctx) => {
    const set = [auth.jwksFile, auth.jwksUri].filter((v) => v !== undefined).length;
    if (set !== 1) ctx.addIssue({ code: "custom", message: "set exactly one of jwksUri, jwksFile" });
  });

const tlsClientAuthSchema = z.strictObject({
  method: z
    .literal("tls_client_auth")
    .describe("RFC 8705 §2.1: the service's Gatehouse certificate over mTLS; its URI SAN must be the service's SPIFFE ID (no secret, no assertion)."),
});

/** How a service authenticates at the token endpoint. */
export const clientAuthSchema = z.discriminatedUnion("method", [privateKeyJwtSchema, secretSchema, kubernetesServiceAccountSchema, tlsClientAuthSchema], {
  error: () => 'method must be one of "private_key_jwt", "client_secret_basic", "client_secret_post", "kubernetes_service_account", "tls_client_auth"',
});

/** One registry entry: a service as a client (auth, allow, attributes) and as a resource (resource, scopes). */
export const serviceSchema = z.strictObject({
  resource: resourceSchema.optional().describe("The service's audience URI when others call it (RFC 8707 resource indicator)."),
  scopes: z.array(scopeSchema).default([]).describe("The scopes this service exposes to callers."),
  auth: clientAuthSchema.describe("How this service authenticates when it asks for tokens."),
  allow: z
    .record(serviceIdSchema, z.array(scopeSchema), keyError(SERVICE_ID.message))
    .default({})
    .describe("What this service may request, per target service id: `{ inventory: [inventory:read] }`."),
  attributes: z
    .record(z.string().regex(ATTRIBUTE_NAME.pattern, ATTRIBUTE_NAME.message), z.string().max(512), keyError(ATTRIBUTE_NAME.message))
    .default({})
    .describe("Free attributes (team, environment, image digest, commit) copied into every token this service receives."),
  tokenTtlSeconds: z
    .int()
    .min(1)
    .max(86_400)
    .optional()
    .describe("Lifetime of tokens whose audience is this service; `tokens.ttlSeconds` when absent."),
  disabled: z.boolean().default(false).describe("A disabled service gets no tokens and is no valid target."),
  certificateBoundTokens: z
    .boolean()
    .optional()
    .describe("RFC 8705 §3: every token of this service is bound to its client certificate (`cnf.x5t#S256`); a request without one is refused."),
  dnsNames: z
    .array(dnsNameSchema)
    .max(16)
    .optional()
    .describe("DNS names put into this service's certificates beside its SPIFFE ID (for its role as an upstream)."),
});

const servicesSchema = z
  .record(serviceIdSchema, serviceSchema, keyError(SERVICE_ID.message))
  .default({})
  .describe("The service registry: service id → definition.")
  .superRefine((services, ctx) => {
    const byResource = new Map<string, string>();
    const bySubject = new Map<string, string>();
    for (const [id, service] of Object.entries(services)) {
      if (service.auth.method === "kubernetes_service_account") {
        const key = `${service.auth.issuer} ${service.auth.subject}`;
        const other = bySubject.get(key);
        if (other !== undefined) ctx.addIssue({ code: "custom", path: [id, "auth", "subject"], message: `same issuer and subject as service "${other}"` });
        bySubject.set(key, id);
      }
      if (service.resource !== undefined) {
        const other = byResource.get(service.resource);
        if (other !== undefined) {
          ctx.addIssue({ code: "custom", path: [id, "resource"], message: `same resource as service "${other}"` });
        }
        byResource.set(service.resource, id);
      }
      for (const [target, scopes] of Object.entries(service.allow)) {
        const peer = services[target];
        if (peer === undefined) {
          ctx.addIssue({ code: "custom", path: [id, "allow", target], message: `unknown service "${target}"` });
          continue;
        }
        if (peer.resource === undefined) {
          ctx.addIssue({ code: "custom", path: [id, "allow", target], message: `service "${target}" has no resource` });
          continue;
        }
        scopes.forEach((scope, index) => {
          if (!peer.scopes.includes(scope)) {
            ctx.addIssue({
              code: "custom",
              path: [id, "allow", target, index],
              message: `scope "${scope}" is not exposed by service "${target}"`,
            });
          }
        });
      }
    }
  });

const keysSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .optional()
      .describe("Private JWKS file of signing keys (as written by `gatehouse-auth keys generate`); the first active key signs."),
    generate: z
      .enum(["persist", "memory"])
      .default("persist")
      .describe("Without `file`: `persist` generates dev keys once and keeps them in `dir`; `memory` generates them per start (tests)."),
    dir: z.string().min(1).default(".gatehouse").describe("Where `persist` keeps dev keys (relative to the working directory)."),
    registryMacKeyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "File holding the secret (at least 32 characters) that MACs every registry entry written to Redis; Redis never sees it. Without it: generated like the dev signing keys.",
      ),
    reloadIntervalSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(5)
      .describe("How often the key file is checked for a rotation (0 = never); also when retired keys leave the JWKS."),
  })
  .prefault({})
  .describe("Token signing keys (ES256).");

const caSchema = z
  .strictObject({
    certFile: z
      .string()
      .min(1)
      .optional()
      .describe("PEM file of an operator CA or intermediate certificate, then the chain above it (root last); needs `keyFile`."),
    keyFile: z.string().min(1).optional().describe("PEM private key of `certFile`'s CA."),
    file: z
      .string()
      .min(1)
      .optional()
      .describe("CA file (as written by `gatehouse-auth ca generate` / `ca rotate`): authorities with their rotation schedule."),
    generate: z
      .enum(["persist", "memory"])
      .default("persist")
      .describe("Without `certFile` or `file`: `persist` generates a dev CA once and keeps it in `dir`; `memory` generates one per start (tests)."),
    dir: z.string().min(1).default(".gatehouse").describe("Where `persist` keeps the dev CA (relative to the working directory)."),
    reloadIntervalSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(5)
      .describe("How often `file` (or the dev CA file) is checked for a rotation (0 = never); also when retired CAs leave the trust bundle."),
  })
  .superRefine((ca, ctx) => {
    if ((ca.certFile === undefined) !== (ca.keyFile === undefined)) ctx.addIssue({ code: "custom", message: "set certFile and keyFile together" });
    if (ca.certFile !== undefined && ca.file !== undefined) ctx.addIssue({ code: "custom", message: "set either certFile/keyFile or file" });
  })
  .prefault({})
  .describe("The certificate authority that issues service certificates (SPIFFE X.509 identities).");

const certificatesSchema = z
  .strictObject({
    ttlSeconds: z
      .int()
      .min(5)
      .max(30 * 86_400)
      .default(3600)
      .describe("Lifetime of issued service certificates (services renew at half of it)."),
  })
  .prefault({})
  .describe("Service certificate settings.");

const tlsSchema = z
  .union([
    z.strictObject({
      certFile: z.string().min(1).describe("PEM certificate (chain) of the HTTPS listener."),
      keyFile: z.string().min(1).describe("PEM private key of `certFile`."),
    }),
    z.strictObject({
      fromCa: z.literal(true).describe("Issue the listener's certificate from the server's own CA (renewed at half-life)."),
    }),
  ])
  .optional()
  .describe(
    "Serve HTTPS instead of HTTP: `{ certFile, keyFile }` or `{ fromCa: true }`. Client certificates are requested (optional) and checked against the trust bundle: `tls_client_auth` and certificate-bound tokens need it.",
  );

const tokensSchema = z
  .strictObject({
    ttlSeconds: z.int().min(1).max(86_400).default(300).describe("Default access token lifetime."),
    clockToleranceSeconds: z
      .int()
      .min(0)
      .max(300)
      .default(5)
      .describe("Clock skew accepted on client assertions' `exp`/`iat`/`nbf`."),
    clientAssertionMaxLifetimeSeconds: z
      .int()
      .min(1)
      .max(3600)
      .default(300)
      .describe(
        "Longest client assertion accepted: its `exp` at most this far ahead (plus `clockToleranceSeconds`); also how long the replay cache keeps its `jti`. Authlib, for one, signs assertions valid for 3600 s.",
      ),
  })
  .prefault({})
  .describe("Access token settings.");

const httpSchema = z
  .strictObject({
    proxy: z
      .boolean()
      .default(false)
      .describe("Trust `X-Forwarded-Proto`/`-Host` for the URLs the server builds (set behind a TLS-terminating proxy; never when exposed directly)."),
    trustedProxies: z
      .array(trustedProxySchema)
      .default([])
      .describe(
        "Peers (IPs or CIDR blocks, e.g. the gateway) whose `X-Forwarded-For` is believed: the client address is its right-most untrusted hop. From anyone else the socket address counts.",
      ),
    bodyLimitBytes: z.int().min(256).max(56 * 1024).default(8192).describe("Largest accepted request body."),
    jwksUriPrivateAddresses: z
      .boolean()
      .default(false)
      .describe(
        "Let `auth.jwksUri` reach loopback and private addresses (127/8, 10/8, 172.16/12, 192.168/16, …); oidc-provider refuses them by default against SSRF.",
      ),
  })
  .prefault({})
  .describe("HTTP behaviour.");

const throttleSchema = z
  .strictObject({
    maxFailures: z
      .int()
      .min(1)
      .max(100_000)
      .default(10)
      .describe("Failed client authentications allowed per window, per (client, source address) and per source address for unknown clients."),
    windowSeconds: z.int().min(1).max(86_400).default(60).describe("Window of `maxFailures`; a throttled caller retries after it."),
  })
  .prefault({})
  .describe("Throttling of failed client authentications (oidc-provider has none).");

const issuanceSchema = z
  .strictObject({
    perSecond: z
      .number()
      .positive()
      .max(1_000_000)
      .default(5)
      .describe("Tokens issued per second per (client, resource), sustained; a service needs one per audience every few minutes."),
    burst: z.int().min(1).max(1_000_000).default(10).describe("Tokens a (client, resource) may get at once before `perSecond` applies."),
  })
  .prefault({})
  .describe("Token issuance ceiling per (client, resource), shared through Redis; over it a token request answers 429 with `Retry-After`.");

const adminSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Serve the admin API under `/admin`."),
    port: z
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .describe("Serve the admin API (and `/metrics`) on this port; required with `enabled` unless `onPublicPort`."),
    onPublicPort: z
      .boolean()
      .default(false)
      .describe("Serve the admin API on the public port, next to the token endpoint (only when nothing untrusted reaches that port)."),
    host: z.string().min(1).default("127.0.0.1").describe("Interface of the admin port."),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
      .default("GATEHOUSE_ADMIN_TOKEN")
      .describe("Environment variable holding the admin bearer credential (at least 32 characters)."),
    audience: resourceSchema
      .optional()
      .describe(
        "Also accept Gatehouse access tokens from this server whose `aud` is this URI and whose `scope` holds `admin.scope` (register a service with this resource).",
      ),
    scope: scopeSchema.default("gatehouse:admin").describe("The scope an admin API token must carry."),
  })
  .superRefine((admin, ctx) => {
    if (admin.enabled && admin.port === undefined && !admin.onPublicPort) {
      ctx.addIssue({ code: "custom", path: ["port"], message: "the admin API needs a port of its own (or onPublicPort: true to share the public one)" });
    }
    if (admin.port !== undefined && admin.onPublicPort) {
      ctx.addIssue({ code: "custom", path: ["onPublicPort"], message: "set either port or onPublicPort, not both" });
    }
  })
  .prefault({})
  .describe("The admin API (off by default).");

const revocationSchema = z
  .strictObject({
    audience: resourceSchema
      .optional()
      .describe(
        "Serve the revocation feed (`GET /revocations`) to Gatehouse access tokens from this server whose `aud` is this URI and whose `scope` holds `revocation.scope` (register a service with this resource); the admin credential is always accepted.",
      ),
    scope: scopeSchema.default("gatehouse:revocations").describe("The scope a revocation feed token must carry."),
    heartbeatSeconds: z
      .int()
      .min(1)
      .max(10)
      .default(5)
      .describe("Seconds between two keep-alive comments on an open feed (subscribers count the feed as alive while they arrive, and reconnect after 15 s without a byte)."),
  })
  .prefault({})
  .describe("Revocations and their feed.");

const redisSchema = z
  .strictObject({
    keyPrefix: z
      .string()
      .min(1)
      .max(100)
      .default("gatehouse:auth:")
      .describe("Prefix of every Redis key (replay cache, registry, throttle), so several deployments can share one Redis."),
  })
  .prefault({})
  .describe("Redis settings; Redis itself is `REDIS_URL`.");

/** The whole auth server config file. */
export const authServerConfigSchema = z.strictObject({
  issuer: z
    .url({ protocol: /^https?$/ })
    .refine((v) => !v.endsWith("/") && !v.includes("?") && !v.includes("#"), "must have no trailing slash, query or fragment")
    .optional()
    .describe("The issuer identifier (`iss`); `GATEHOUSE_ISSUER` overrides it; `http://<host>:<port>` when absent."),
  trustDomain: z
    .string()
    .regex(/^[a-z0-9._-]{1,255}$/, "must be a SPIFFE trust domain: lower-case letters, digits, '.', '-', '_'")
    .optional()
    .describe("SPIFFE trust domain of service certificates (`spiffe://<trustDomain>/<service id>`); the issuer's host when absent."),
  keys: keysSchema,
  ca: caSchema,
  certificates: certificatesSchema,
  tls: tlsSchema,
  tokens: tokensSchema,
  http: httpSchema,
  listener: listenerSchema,
  throttle: throttleSchema,
  issuance: issuanceSchema,
  admin: adminSchema,
  revocation: revocationSchema,
  redis: redisSchema,
  events: eventsConfigSchema,
  services: servicesSchema,
});

/** The validated, frozen auth server config. */
export type AuthServerConfig = z.output<typeof authServerConfigSchema>;
/** One validated registry entry. */
export type ServiceDefinition = z.output<typeof serviceSchema>;
/** A service's client authentication settings. */
export type ClientAuth = z.output<typeof clientAuthSchema>;
/** A public JWKS. */
export type PublicJwks = z.output<typeof publicJwksSchema>;
