import type { StackPorts } from "./configs.ts";

export interface WalkthroughOptions {
  readonly ports: StackPorts;
  readonly issuer: string;
  readonly cliSecretFile: string;
  /** The file holding the dev admin credential the console accepts. */
  readonly consoleCredentialFile: string;
  readonly devDir: string;
  readonly redis: boolean;
}

/** The copy-pasteable walkthrough `pnpm start` prints; the root README shows the same commands. */
export function walkthrough({ ports, issuer, cliSecretFile, consoleCredentialFile, devDir, redis }: WalkthroughOptions): string {
  const gw = `http://127.0.0.1:${ports.gateway}`;
  return `
Gatehouse is running (${redis ? "rate limits and replay cache in Redis" : "in-memory stores; set REDIS_URL to use Redis"}).
  auth server  ${issuer}  (metadata: ${issuer}/.well-known/oauth-authorization-server)
  gateway      ${gw}  (metrics: http://127.0.0.1:${ports.admin}/metrics)
  console      http://127.0.0.1:${ports.console}  (security events, call graph, anomalies)
  orders       http://127.0.0.1:${ports.orders}  inventory  http://127.0.0.1:${ports.inventory}  (reach them through the gateway)
  configs      ${devDir}/services.yaml  ${devDir}/gateway.yaml  credentials in ${devDir}/credentials/

Try it from another terminal, in the repository root:

  # 1. A token for orders, as the demo-cli service, from the gateway's public token route.
  SECRET=$(node -p 'require("./${cliSecretFile}").clientSecret')
  TOKEN=$(curl -s -u "demo-cli:$SECRET" -d grant_type=client_credentials \\
    -d resource=https://orders.internal -d scope=orders:read ${gw}/oauth/token \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')

  # 2. Call orders through the gateway; orders calls inventory through the gateway with its own token.
  curl -s -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42

  # 3. No token: 401 with a WWW-Authenticate: Bearer challenge and an invalid_token body.
  curl -si ${gw}/api/orders/42

  # 4. A scope the token does not carry (placing an order needs orders:write): 403 insufficient_scope.
  curl -si -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"sku":"widget","quantity":1}' ${gw}/api/orders

  # 5. Over the limit (demo-cli may call /api/orders 10 times a minute): 429 with Retry-After.
  for i in $(seq 12); do curl -s -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42; done; echo

  # 6. Five logins with a wrong secret: the console raises anomaly.auth_failure_burst.
  for i in $(seq 5); do curl -s -o /dev/null -u demo-cli:wrong -d grant_type=client_credentials ${gw}/oauth/token; done
  sleep 1

  # 7. The console: anomalies in JSON, then open the page (the link carries the dev admin credential).
  ADMIN=$(node -p 'require("./${consoleCredentialFile}").adminToken')
  curl -s -H "Authorization: Bearer $ADMIN" http://127.0.0.1:${ports.console}/api/anomalies \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).anomalies.map((a) => a.summary).join("\\n")'
  echo "open http://127.0.0.1:${ports.console}/#token=$ADMIN"

Ctrl-C stops everything.
`;
}
