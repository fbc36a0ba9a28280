// The effective configs `pnpm start` writes to .gatehouse/dev/: the auth server's registry and the
// gateway's route table. Plain templates, so that what an operator reads is what the services load.

export interface StackPorts {
  readonly auth: number;
  readonly authAdmin: number;
  readonly gateway: number;
  readonly admin: number;
  readonly orders: number;
  readonly inventory: number;
  readonly console: number;
}

const json = (value: unknown) => JSON.stringify(value);

/** The SPIFFE trust domain of the dev CA: every service's certificate names `spiffe://gatehouse.internal/<service id>`. */
export const TRUST_DOMAIN = "gatehouse.internal";

/** The SPIFFE ID of a service of the dev stack (what the gateway pins its upstreams to). */
export const spiffeId = (service: string) => `spiffe://${TRUST_DOMAIN}/${service}`;

/** The audience of the auth server's revocation feed (`revocation.audience`, the `gatehouse` service's resource). */
export const REVOCATION_FEED_AUDIENCE = "https://gatehouse.internal/revocations";

/** `.gatehouse/dev/services.yaml`: the auth server config with the demo registry. */
export function renderAuthConfig(options: {
  readonly issuer: string;
  readonly adminPort: number;
  readonly stateDir: string;
  readonly orders: Readonly<Record<string, unknown>>;
  readonly inventory: Readonly<Record<string, unknown>>;
}): string {
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
issuer: ${options.issuer}
trustDomain: ${TRUST_DOMAIN}
keys:
  generate: persist          # dev signing keys, generated once under .gatehouse/
  dir: ${json(options.stateDir)}
ca:
  generate: persist          # the dev CA (ca.json), generated once under .gatehouse/; services get certificates from it
  dir: ${json(options.stateDir)}
tls: { fromCa: true }        # HTTPS with a certificate from that CA (spiffe://${TRUST_DOMAIN}/gatehouse-auth, IP 127.0.0.1)
tokens:
  ttlSeconds: 300
http:
  trustedProxies: [127.0.0.1]  # the gateway, on loopback: throttling and audit see the caller's address
admin:
  enabled: true                # the admin API on a loopback port of its own; credential from GATEHOUSE_ADMIN_TOKEN
  port: ${options.adminPort}
revocation:
  audience: ${REVOCATION_FEED_AUDIENCE}   # the revocation feed, read by the gateway
services:
  orders:
    resource: https://orders.internal
    scopes: [orders:read, orders:write]
    auth: { method: private_key_jwt, jwks: { keys: [${json(options.orders)}] } }
    allow: { inventory: [inventory:read, inventory:reserve] }
    attributes: { team: checkout, environment: dev }
  inventory:
    resource: https://inventory.internal
    scopes: [inventory:read, inventory:reserve]
    auth: { method: private_key_jwt, jwks: { keys: [${json(options.inventory)}] } }
    attributes: { team: fulfilment, environment: dev }
  demo-cli:
    # The walkthrough's curl client: a shared secret from the environment, never from this file.
    auth: { method: client_secret_basic, secretEnv: DEMO_CLI_CLIENT_SECRET }
    allow: { orders: [orders:read] }
    attributes: { team: platform, environment: dev }
  gatehouse:
    # The revocation feed as a resource; it never asks for tokens itself (no certificate is ever issued to it).
    resource: ${REVOCATION_FEED_AUDIENCE}
    scopes: [gatehouse:revocations]
    auth: { method: tls_client_auth }
  gateway:
    # The gateway reads the revocation feed with a token of its own; its secret from GATEWAY_CLIENT_SECRET.
    auth: { method: client_secret_basic, secretEnv: GATEWAY_CLIENT_SECRET }
    allow: { gatehouse: [gatehouse:revocations] }
    attributes: { team: platform, environment: dev }
    dnsNames: [localhost]       # its HTTPS listener's certificate: clients call https://localhost:<port>
`;
}

/** `.gatehouse/dev/gateway.yaml`: the auth server's public routes (token, JWKS, discovery) and the two demo services' routes. */
export function renderGatewayConfig(options: { readonly issuer: string; readonly ports: StackPorts; readonly trustBundleFile: string }): string {
  const { ports } = options;
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
# Every hop is mutual TLS under the dev CA: clients → gateway (client certificates optional: a certificate-bound
# token needs its certificate), gateway → auth server and backends (the gateway's own certificate, each upstream's
# SPIFFE ID pinned).
issuer: ${options.issuer}
identity:                       # the gateway's own certificate, from the issuer's CA (renewed at half-life)
  clientId: gateway
  secretEnv: GATEWAY_CLIENT_SECRET
verifier:
  trustBundleFile: ${json(options.trustBundleFile)}
listener:
  tls: { fromIssuer: true, clientCertificates: optional }
proxy:
  tls: { fromIssuer: true }     # presents the gateway's certificate to upstreams, trusts the issuer's bundle
revocation:
  feed: true                    # <issuer>/revocations: revoked tokens are refused within a second
  resource: ${REVOCATION_FEED_AUDIENCE}
  secretEnv: GATEWAY_CLIENT_SECRET
routes:
  # The auth server publishes exactly its token endpoint, JWKS and discovery documents; nothing
  # else of it (other provider paths, the admin API) is reachable through the gateway.
  - name: token                 # POST /oauth/token → the auth server's /token
    pathPrefix: /oauth/token
    methods: [POST]
    public: true
    stripPrefix: true
    upstreams: [https://127.0.0.1:${ports.auth}/token]
    upstreamIdentity: ${spiffeId("gatehouse-auth")}
    rateLimit: { limit: 60, windowSeconds: 60 }     # per client IP
  - name: jwks                  # GET /oauth/jwks → the auth server's /jwks
    pathPrefix: /oauth/jwks
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [https://127.0.0.1:${ports.auth}/jwks]
    upstreamIdentity: ${spiffeId("gatehouse-auth")}
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: discovery             # RFC 8414 metadata
    pathPrefix: /oauth/.well-known/oauth-authorization-server
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [https://127.0.0.1:${ports.auth}/.well-known/oauth-authorization-server]
    upstreamIdentity: ${spiffeId("gatehouse-auth")}
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: discovery-openid      # the same metadata at its OpenID Connect name
    pathPrefix: /oauth/.well-known/openid-configuration
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [https://127.0.0.1:${ports.auth}/.well-known/openid-configuration]
    upstreamIdentity: ${spiffeId("gatehouse-auth")}
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: orders-read
    pathPrefix: /api/orders
    methods: [GET, HEAD]
    upstreams: [https://127.0.0.1:${ports.orders}]
    upstreamIdentity: ${spiffeId("orders")}
    audience: https://orders.internal
    policy: { scopes: [orders:read], services: [demo-cli, inventory] }
    rateLimit: { limit: 10, windowSeconds: 60 }     # per calling service
  - name: orders-write
    pathPrefix: /api/orders
    methods: [POST]
    upstreams: [https://127.0.0.1:${ports.orders}]
    upstreamIdentity: ${spiffeId("orders")}
    audience: https://orders.internal
    policy: { scopes: [orders:write], services: [demo-cli] }
    rateLimit: { limit: 10, windowSeconds: 60 }
  - name: inventory-read
    pathPrefix: /api/inventory/items
    methods: [GET, HEAD]
    upstreams: [https://127.0.0.1:${ports.inventory}]
    upstreamIdentity: ${spiffeId("inventory")}
    audience: https://inventory.internal
    policy: { scopes: [inventory:read], services: [orders] }
    rateLimit: { limit: 600, windowSeconds: 60 }
  - name: inventory-reserve
    pathPrefix: /api/inventory/reservations
    methods: [POST]
    upstreams: [https://127.0.0.1:${ports.inventory}]
    upstreamIdentity: ${spiffeId("inventory")}
    audience: https://inventory.internal
    policy: { scopes: [inventory:reserve], services: [orders], attributes: { team: checkout } }
    rateLimit: { limit: 120, windowSeconds: 60 }
`;
}

/** `.gatehouse/dev/console.yaml`: the console follows the event stream; short learning for a demo. */
export function renderConsoleConfig(options: { readonly issuer: string; readonly adminUrl: string }): string {
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
learningSeconds: 20          # the demo's edges are learned in its first 20 s; production default is 600
authServer:
  issuer: ${options.issuer}  # Gatehouse tokens for the console are verified against it
  adminUrl: ${options.adminUrl}  # signing-key ages and the disable/revoke responses go through the admin API
detection:
  authFailureBurst: { threshold: 5, windowSeconds: 60 }   # below the auth server's throttle (10)
  denialBurst: { threshold: 20, windowSeconds: 60 }
`;
}
