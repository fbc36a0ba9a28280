#!/usr/bin/env bash
# Gatehouse bootstrap: puts Node.js 24 LTS and the pinned pnpm on PATH, installs the
# workspace with the frozen lockfile, then runs `pnpm <args>` when arguments are given.
#
#   scripts/bootstrap.sh              # set up only
#   scripts/bootstrap.sh start        # set up, then `pnpm start`
#   scripts/bootstrap.sh test         # set up, then `pnpm test`
#   export PATH="$(scripts/bootstrap.sh --print-path):$PATH"   # use the same runtime in your shell
#
# Node comes from the `node` package on the npm registry, installed into a cache folder outside
# the repo (GATEHOUSE_CACHE, default ~/.cache/gatehouse); pnpm likewise with npm (corepack's
# signature check fails on networks that intercept TLS). Idempotent: a second run only checks.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(tr -d ' \n' < "$repo/.node-version")"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$repo/package.json")"
cache="${GATEHOUSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse}"
node_prefix="$cache/node-$NODE_VERSION"
pnpm_prefix="$cache/pnpm-$PNPM_VERSION"
node_bin="$node_prefix/node_modules/node/bin"
pnpm_bin="$pnpm_prefix/node_modules/.bin"

log() { [ "${quiet:-0}" = 1 ] || printf 'bootstrap: %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local current
  current="$(command -v node || true)"
  if [ -n "$current" ] && [ "$(node_major "$current")" -ge 24 ]; then
    node_dir="$(dirname "$current")"
    return
  fi
  if [ ! -x "$node_bin/node" ]; then
    command -v npm >/dev/null || { echo "bootstrap: npm is required to install Node.js $NODE_VERSION" >&2; exit 1; }
    log "installing Node.js $NODE_VERSION into $node_prefix"
    mkdir -p "$node_prefix"
    npm install --prefix "$node_prefix" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
  fi
  "$node_bin/node" --version >/dev/null
  node_dir="$node_bin"
}

ensure_pnpm() {
  if [ -x "$pnpm_bin/pnpm" ]; then return; fi
  log "installing pnpm $PNPM_VERSION into $pnpm_prefix"
  mkdir -p "$pnpm_prefix"
  PATH="$node_dir:$PATH" npm install --prefix "$pnpm_prefix" --no-save --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
}

if [ "${1:-}" = "--print-path" ]; then
  quiet=1 ensure_node
  quiet=1 ensure_pnpm
  printf '%s:%s\n' "$node_dir" "$pnpm_bin"
  exit 0
fi

ensure_node
ensure_pnpm
export PATH="$node_dir:$pnpm_bin:$PATH"
log "node $(node --version), pnpm $(pnpm --version)"

cd "$repo"
stamp="node_modules/.gatehouse-install-stamp"
lock_sum="$(cat pnpm-lock.yaml package.json */*/package.json 2>/dev/null | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum|$(node --version)" ]; then
  pnpm install --frozen-lockfile >&2
  printf '%s' "$lock_sum|$(node --version)" > "$stamp"
else
  log "dependencies up to date"
fi

if [ $# -gt 0 ]; then
  exec pnpm "$@"
fi
