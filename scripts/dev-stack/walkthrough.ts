import type { StackPorts } from "./configs.ts";

export interface WalkthroughOptions {
  readonly ports: StackPorts;
  readonly issuer: string;
  readonly cliSecretFile: string;
  readonly adminFile: string;
  readonly trustBundleFile: string;
  readonly devDir: string;
  readonly redis: boolean;
}

/** The copy-pasteable walkthrough `pnpm start` prints; the root README shows the same commands. */
export function walkthrough({ ports, issuer, cliSecretFile, adminFile, trustBundleFile, devDir, redis }: WalkthroughOptions): string {
  const gw = `https://localhost:${ports.gateway}`;
  const getToken = `TOKEN=$(curl -s --cacert "$CA" -u "demo-cli:$SECRET" -d grant_type=client_credentials \\
    -d resource=https://orders.internal -d scope=orders:read ${gw}/oauth/token \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`;
  return `
Gatehouse is running (${redis ? "rate limits and replay cache in Redis" : "in-memory stores; set REDIS_URL to use Redis"}; every hop mutual TLS under the dev CA).
  auth server  ${issuer}  (metadata: ${issuer}/.well-known/oauth-authorization-server; admin API: http://127.0.0.1:${ports.authAdmin}/admin)
  gateway      ${gw}  (metrics: http://127.0.0.1:${ports.admin}/metrics)
  console      http://127.0.0.1:${ports.console}  (security events, call graph, anomalies)
  orders       https://127.0.0.1:${ports.orders}  inventory  https://127.0.0.1:${ports.inventory}  (they accept the gateway's certificate only)
  configs      ${devDir}/services.yaml  ${devDir}/gateway.yaml  credentials in ${devDir}/credentials/  trust bundle ${trustBundleFile}

Try it from another terminal, in the repository root:

  # 1. A token for orders, as the demo-cli service, from the gateway's public token route (HTTPS: trust the dev CA).
  CA=${trustBundleFile}
  SECRET=$(node -p 'require("./${cliSecretFile}").clientSecret')
  ${getToken}

  # 2. Call orders through the gateway; orders calls inventory through the gateway with its own token.
  curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42

  # 3. No token: 401 with a WWW-Authenticate: Bearer challenge and an invalid_token body.
  curl -si --cacert "$CA" ${gw}/api/orders/42

  # 4. A scope the token does not carry (placing an order needs orders:write): 403 insufficient_scope.
  curl -si --cacert "$CA" -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"sku":"widget","quantity":1}' ${gw}/api/orders

  # 5. The operator cuts demo-cli off in one command: every token it holds is refused (401) within a
  #    second, by the gateway that follows the auth server's revocation feed; a token it gets afterwards works.
  ADMIN=$(node -p 'require("./${adminFile}").token')
  curl -s -X POST -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \\
    -d '{"service":"demo-cli","reason":"walkthrough"}' http://127.0.0.1:${ports.authAdmin}/admin/revocations; echo
  sleep 1; curl -si --cacert "$CA" -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42; echo
  ${getToken}
  curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42

  # 6. A certificate for demo-cli (its key made here, never sent), then a token bound to it (cnf.x5t#S256):
  #    accepted with its certificate, refused (401 invalid_token) without it.
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${devDir}/demo-cli.key \\
    -subj /CN=demo-cli -outform DER 2>/dev/null | openssl base64 -A | curl -s --cacert "$CA" -u "demo-cli:$SECRET" \\
    -H 'content-type: application/pkcs10' --data-binary @- ${issuer}/certificates > ${devDir}/demo-cli.crt
  BOUND=$(curl -s --cacert "$CA" --cert ${devDir}/demo-cli.crt --key ${devDir}/demo-cli.key -u "demo-cli:$SECRET" \\
    -d grant_type=client_credentials -d resource=https://orders.internal -d scope=orders:read ${issuer}/token \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
  curl -s --cacert "$CA" --cert ${devDir}/demo-cli.crt --key ${devDir}/demo-cli.key -H "Authorization: Bearer $BOUND" ${gw}/api/orders/42; echo
  curl -si --cacert "$CA" -H "Authorization: Bearer $BOUND" ${gw}/api/orders/42

  # 7. Over the limit (demo-cli may call /api/orders 10 times a minute): 429 with Retry-After.
  for i in $(seq 12); do curl -s -o /dev/null -w '%{http_code} ' --cacert "$CA" -H "Authorization: Bearer $TOKEN" ${gw}/api/orders/42; done; echo

  # 8. Five logins with a wrong secret: the console raises anomaly.auth_failure_burst.
  for i in $(seq 5); do curl -s -o /dev/null --cacert "$CA" -u demo-cli:wrong -d grant_type=client_credentials ${gw}/oauth/token; done
  sleep 1

  # 9. The console: anomalies in JSON, then open the page (the link carries the dev admin credential).
  curl -s -H "Authorization: Bearer $ADMIN" http://127.0.0.1:${ports.console}/api/anomalies \\
    | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).anomalies.map((a) => a.summary).join("\\n")'
  echo "open http://127.0.0.1:${ports.console}/#token=$ADMIN"

Ctrl-C stops everything.
`;
}
