#!/usr/bin/env bash
# Creates the Secrets the manifests mount, from the files docker/make-secrets.sh writes (it is run
# first; it keeps files that exist). Prints the Secret objects; pipe them to `kubectl apply -f -`:
#
#   deploy/kubernetes/overlays/dev/make-secrets.sh | kubectl apply -n gatehouse -f -
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
dir="${GATEHOUSE_SECRETS_DIR:-$repo/docker/secrets}"
"$repo/docker/make-secrets.sh" >&2
secret() {
  local name="$1"; shift
  kubectl create secret generic "$name" --dry-run=client -o yaml "$@"
  echo "---"
}
secret gatehouse-auth-server \
  --from-file=signing_keys="$dir/signing-keys.json" \
  --from-file=registry_mac_key="$dir/registry-mac.key" \
  --from-file=redis_password="$dir/redis-auth-server.password" \
  --from-file=demo_cli_secret="$dir/demo-cli.secret" \
  --from-file=gateway_secret="$dir/gateway.secret" \
  --from-file=operator_secret="$dir/operator.secret" \
  --from-file=orders_jwks="$dir/orders.jwks.json" \
  --from-file=inventory_jwks="$dir/inventory.jwks.json" \
  --from-file=ca_key="$dir/ca.key" \
  --from-file=trust_bundle="$dir/ca.crt"
secret gatehouse-gateway --from-file=redis_password="$dir/redis-gateway.password" --from-file=gateway_secret="$dir/gateway.secret" \
  --from-file=trust_bundle="$dir/ca.crt"
secret gatehouse-orders --from-file=orders_credentials="$dir/orders.credentials.json" --from-file=trust_bundle="$dir/ca.crt"
secret gatehouse-inventory --from-file=inventory_credentials="$dir/inventory.credentials.json" --from-file=trust_bundle="$dir/ca.crt"
secret gatehouse-redis \
  --from-file=users.acl="$dir/redis-users.acl" \
  --from-file=replication_password="$dir/redis-replication.password"
