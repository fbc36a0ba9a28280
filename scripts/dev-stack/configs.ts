// The effective configs `pnpm start` writes to .gatehouse/dev/: the auth server's registry and the
// gateway's route table. Plain templates, so that what an operator reads is what the services load.

export interface StackPorts {
  readonly auth: number;
  readonly gateway: number;
  readonly admin: number;
  readonly orders: number;
  readonly inventory: number;
  readonly console: number;
}

const json = (value: unknown) => JSON.stringify(value);

/** `.gatehouse/dev/services.yaml`: the auth server config with the demo registry. */
export function renderAuthConfig(options: {
  readonly issuer: string;
  readonly stateDir: string;
  readonly orders: Readonly<Record<string, unknown>>;
  readonly inventory: Readonly<Record<string, unknown>>;
}): string {
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
issuer: ${options.issuer}
keys:
  generate: persist          # dev signing keys, generated once under .gatehouse/
  dir: ${json(options.stateDir)}
tokens:
  ttlSeconds: 300
http:
  trustedProxies: [127.0.0.1]  # the gateway, on loopback: throttling and audit see the caller's address
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
`;
}

/** `.gatehouse/dev/gateway.yaml`: the auth server's public routes (token, JWKS, discovery) and the two demo services' routes. */
export function renderGatewayConfig(options: { readonly issuer: string; readonly ports: StackPorts }): string {
  const { ports } = options;
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
issuer: ${options.issuer}
routes:
  # The auth server publishes exactly its token endpoint, JWKS and discovery documents; nothing
  # else of it (other provider paths, the admin API) is reachable through the gateway.
  - name: token                 # POST /oauth/token → the auth server's /token
    pathPrefix: /oauth/token
    methods: [POST]
    public: true
    stripPrefix: true
    upstreams: [http://127.0.0.1:${ports.auth}/token]
    rateLimit: { limit: 60, windowSeconds: 60 }     # per client IP
  - name: jwks                  # GET /oauth/jwks → the auth server's /jwks
    pathPrefix: /oauth/jwks
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [http://127.0.0.1:${ports.auth}/jwks]
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: discovery             # RFC 8414 metadata
    pathPrefix: /oauth/.well-known/oauth-authorization-server
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [http://127.0.0.1:${ports.auth}/.well-known/oauth-authorization-server]
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: discovery-openid      # the same metadata at its OpenID Connect name
    pathPrefix: /oauth/.well-known/openid-configuration
    methods: [GET, HEAD]
    public: true
    stripPrefix: true
    upstreams: [http://127.0.0.1:${ports.auth}/.well-known/openid-configuration]
    rateLimit: { limit: 120, windowSeconds: 60 }
  - name: orders-read
    pathPrefix: /api/orders
    methods: [GET, HEAD]
    upstreams: [http://127.0.0.1:${ports.orders}]
    audience: https://orders.internal
    policy: { scopes: [orders:read], services: [demo-cli, inventory] }
    rateLimit: { limit: 10, windowSeconds: 60 }     # per calling service
  - name: orders-write
    pathPrefix: /api/orders
    methods: [POST]
    upstreams: [http://127.0.0.1:${ports.orders}]
    audience: https://orders.internal
    policy: { scopes: [orders:write], services: [demo-cli] }
    rateLimit: { limit: 10, windowSeconds: 60 }
  - name: inventory-read
    pathPrefix: /api/inventory/items
    methods: [GET, HEAD]
    upstreams: [http://127.0.0.1:${ports.inventory}]
    audience: https://inventory.internal
    policy: { scopes: [inventory:read], services: [orders] }
    rateLimit: { limit: 600, windowSeconds: 60 }
  - name: inventory-reserve
    pathPrefix: /api/inventory/reservations
    methods: [POST]
    upstreams: [http://127.0.0.1:${ports.inventory}]
    audience: https://inventory.internal
    policy: { scopes: [inventory:reserve], services: [orders], attributes: { team: checkout } }
    rateLimit: { limit: 120, windowSeconds: 60 }
`;
}

/** `.gatehouse/dev/console.yaml`: the console follows the event stream; short learning for a demo. */
export function renderConsoleConfig(options: { readonly issuer: string }): string {
  return `# Written by \`pnpm start\` (scripts/dev-stack.ts); regenerated at every start.
learningSeconds: 20          # the demo's edges are learned in its first 20 s; production default is 600
authServer:
  issuer: ${options.issuer}  # signing-key ages come from its JWKS
detection:
  authFailureBurst: { threshold: 5, windowSeconds: 60 }   # below the auth server's throttle (10)
  denialBurst: { threshold: 20, windowSeconds: 60 }
`;
}
