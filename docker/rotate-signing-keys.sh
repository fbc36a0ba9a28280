#!/usr/bin/env bash
# Rotates the compose stack's token signing keys without failing a request:
#
#   docker/rotate-signing-keys.sh [--delay S] [--retire-after S]
#
# 1. `gatehouse-auth keys rotate` on the secrets file: a new key is published now and signs after
#    --delay (default 60 s); older keys stay published until every token they signed has expired.
# 2. The file is made readable for the auth server's uid again (the CLI writes it 0600).
# 3. `compose restart auth-server`: compose mounts the file by inode and the CLI replaces it, so the
#    auth server sees the new file only after a restart. The gateway keeps verifying with its cached
#    keys meanwhile and fetches the new key when it first sees its kid.
#
# Variables: GATEHOUSE_SECRETS_DIR (default docker/secrets), COMPOSE (default `docker compose` when
# the plugin exists, else docker-compose), and whatever compose itself reads (COMPOSE_PROJECT_NAME…).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="${GATEHOUSE_SECRETS_DIR:-$repo/docker/secrets}/signing-keys.json"
[ -f "$file" ] || { echo "rotate: $file does not exist; run docker/make-secrets.sh first" >&2; exit 1; }
# Node.js 24 (it runs the repository's .ts helpers): the bootstrap's unless the one on PATH is new enough.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 24 ] || export PATH="$("$repo/scripts/bootstrap.sh" --print-path):$PATH"
cli="$repo/packages/auth-server/dist/cli.js"
[ -f "$cli" ] || (cd "$repo" && PATH="$("$repo/scripts/bootstrap.sh" --print-path):$PATH" pnpm run build >/dev/null)

node "$cli" keys rotate --file "$file" "$@"
chmod 0644 "$file"

if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE="docker-compose"; fi
fi
$COMPOSE -f "$repo/docker-compose.yml" restart auth-server
