#!/usr/bin/env bash
# Builds the workspace on the host and writes each service's production tree (its dist/ and its
# production dependencies, workspace packages included, nothing else) to
# .gatehouse/docker/deploy/<service>/, which docker/Dockerfile copies into the image.
#
#   docker/prepare.sh        # then: docker compose build
#
# Dependencies are installed here, with the host's registry access and trust settings, so that the
# image build itself downloads nothing.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export PATH="$(scripts/bootstrap.sh --print-path):$PATH"

# service name in docker-compose.yml → workspace package
services=(
  "auth-server:@gatehouse/auth-server"
  "gateway:@gatehouse/gateway"
  "console:@gatehouse/console"
  "orders:@gatehouse/example-orders"
  "inventory:@gatehouse/example-inventory"
)

scripts/bootstrap.sh >/dev/null
pnpm run build >/dev/null   # tsc -b of the whole solution: a no-op when nothing changed

out=".gatehouse/docker/deploy"
rm -rf "$out"
mkdir -p "$out"
for entry in "${services[@]}"; do
  name="${entry%%:*}"; package="${entry#*:}"
  pnpm --filter "$package" deploy --prod "$out/$name" >/dev/null
  # The lockfile and workspace file pnpm leaves in the tree are not needed at run time.
  rm -f "$out/$name/pnpm-lock.yaml" "$out/$name/pnpm-workspace.yaml"
  [ -f "$out/$name/dist/main.js" ] || { echo "prepare: $package has no dist/main.js" >&2; exit 1; }
  echo "prepare: $name ← $package ($(du -sh "$out/$name" | cut -f1))"
done
