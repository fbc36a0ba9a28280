#!/usr/bin/env bash
# `pnpm test:compose`: runs docker-compose.yml under a real Docker engine and checks it the way an
# operator would use it (docs/operations.md, "Running with Docker").
#
#  1. Engine: the one at DOCKER_HOST (or the default socket) when it answers; otherwise installs
#     Debian's docker.io and docker-compose when missing and starts a private dockerd (vfs storage,
#     no iptables, no default bridge) whose data, socket and pidfile live in a temp folder.
#  2. Images: stand-ins for node:24-slim and redis:7 built from this machine's binaries
#     (docker/build-standin-images.sh) unless NODE_IMAGE / REDIS_IMAGE name images to use; the
#     services' production trees built on the host (docker/prepare.sh); secrets made by
#     docker/make-secrets.sh into the temp folder.
#  3. `compose up`, then waits until every container reports healthy.
#  4. scripts/compose-test/check.ts: hardening of every container (docker inspect), the walkthrough
#     through the published gateway port (token → orders → gateway → inventory → 200, no token →
#     401, wrong scope → 403, demo-cli revoked → its old token 401 within a second, a new one 200,
#     over the limit → 429).
#  5. Always, also on failure or Ctrl-C: `compose down -v`, and the private dockerd stopped by PID
#     and its folder removed.
#
# Variables: DOCKER_HOST, COMPOSE (e.g. "docker compose"; default: `docker compose` when the plugin
# exists, else docker-compose), NODE_IMAGE, REDIS_IMAGE, COMPOSE_TEST_KEEP_TMP=1 (keep the folder).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export PATH="$(scripts/bootstrap.sh --print-path):$PATH"
# dockerd and containerd live in the sbin folders, which a CI or cron environment may leave off PATH.
for dir in /usr/local/sbin /usr/sbin /sbin; do
  case ":$PATH:" in *":$dir:"*) ;; *) PATH="$PATH:$dir" ;; esac
done

started=$SECONDS
phase_started=$SECONDS
phase() {
  echo "compose-test: [$((SECONDS - started)) s, previous step $((SECONDS - phase_started)) s] $*"
  phase_started=$SECONDS
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-compose.XXXXXX")"
project="gatehouse-compose-test-$$"
dockerd_pid=""
compose_up=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$compose_up" = 1 ]; then
    if [ "$rc" != 0 ]; then
      echo "compose-test: failed; last log lines of each service:"
      $COMPOSE_CMD logs --no-color --tail 40 2>&1 | sed 's/^/  | /'
    fi
    phase "tearing down (down -v)"
    $COMPOSE_CMD down -v --remove-orphans --timeout 10 >"$tmp/down.log" 2>&1 || cat "$tmp/down.log"
  fi
  if [ -n "$dockerd_pid" ]; then
    stop_dockerd
  fi
  if [ "${COMPOSE_TEST_KEEP_TMP:-0}" = 1 ]; then
    echo "compose-test: kept $tmp"
  else
    rm -rf "$tmp"
  fi
  echo "compose-test: $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in $((SECONDS - started)) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_package() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null && return
  echo "compose-test: installing Debian's $package"
  export DEBIAN_FRONTEND=noninteractive
  if [ "${apt_updated:-0}" != 1 ]; then apt-get update -qq; apt_updated=1; fi
  apt-get install -y -qq "$package" >/dev/null
}

start_dockerd() {
  ensure_package dockerd docker.io
  local root="$tmp/engine"
  mkdir -p "$root"
  export DOCKER_HOST="unix://$root/docker.sock"
  dockerd --storage-driver=vfs --iptables=false --bridge=none \
    --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/docker.pid" \
    --host "$DOCKER_HOST" >"$root/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    engine_answers && return
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "compose-test: dockerd did not come up; its log:" >&2
  tail -n 30 "$root/dockerd.log" >&2
  exit 1
}

stop_dockerd() {
  local root="$tmp/engine" containerd_pid=""
  [ -f "$root/exec/containerd/containerd.pid" ] && containerd_pid="$(cat "$root/exec/containerd/containerd.pid")"
  kill -TERM "$dockerd_pid" 2>/dev/null
  for _ in $(seq 1 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$dockerd_pid" 2>/dev/null
  wait "$dockerd_pid" 2>/dev/null
  # dockerd stops the containerd it started; make sure, by that PID only.
  if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then kill -TERM "$containerd_pid"; sleep 1; fi
  # Mounts a killed engine may leave under its folder (network namespaces, shm).
  grep -o " $root[^ ]*" /proc/self/mounts | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null; done
  phase "stopped the private dockerd (pid $dockerd_pid)"
}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# 1. Engine and compose.
if engine_answers; then
  phase "using the Docker engine at ${DOCKER_HOST:-the default socket}"
else
  start_dockerd
  phase "started a private dockerd (pid $dockerd_pid, $DOCKER_HOST)"
fi
if [ -z "${COMPOSE:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else ensure_package docker-compose docker-compose; COMPOSE="docker-compose"; fi
fi
echo "compose-test: engine $(docker version --format '{{.Server.Version}}'), $($COMPOSE version 2>/dev/null | head -n 1)"

# 2. Images, production trees and secrets.
export NODE_IMAGE="${NODE_IMAGE:-gatehouse-standin/node:24}" REDIS_IMAGE="${REDIS_IMAGE:-gatehouse-standin/redis:7}"
[ "$NODE_IMAGE" = gatehouse-standin/node:24 ] && docker/build-standin-images.sh node
[ "$REDIS_IMAGE" = gatehouse-standin/redis:7 ] && docker/build-standin-images.sh redis
phase "base images: NODE_IMAGE=$NODE_IMAGE REDIS_IMAGE=$REDIS_IMAGE"
docker/prepare.sh
phase "built the workspace and the services' production trees"
export GATEHOUSE_SECRETS_DIR="$tmp/secrets"
docker/make-secrets.sh >/dev/null
phase "made secrets in $GATEHOUSE_SECRETS_DIR"

export COMPOSE_PROJECT_NAME="$project" GATEHOUSE_HTTP_PORT="$(free_port)" GATEHOUSE_ADMIN_PORT="$(free_port)" GATEHOUSE_CONSOLE_PORT="$(free_port)"
COMPOSE_CMD="$COMPOSE -f $repo/docker-compose.yml"
$COMPOSE_CMD config -q
$COMPOSE_CMD build >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
phase "built the service images"

# 3. Up, and wait for every healthcheck.
compose_up=1
$COMPOSE_CMD up -d >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; exit 1; }
expected="$($COMPOSE_CMD config --services | wc -l)"
deadline=$((SECONDS + 180))
while :; do
  states="$(docker ps -a --filter "label=com.docker.compose.project=$project" \
    --format '{{.Label "com.docker.compose.service"}}={{.Status}}')"
  healthy="$(grep -c '(healthy)' <<<"$states" || true)"
  [ "$healthy" = "$expected" ] && break
  if grep -q -E 'unhealthy|Exited|Restarting' <<<"$states" || [ "$SECONDS" -ge "$deadline" ]; then
    echo "compose-test: not every service became healthy:" >&2
    echo "$states" | sed 's/^/  /' >&2
    exit 1
  fi
  sleep 1
done
phase "all $expected services healthy"

# 4. Hardening and walkthrough.
# The gateway's published port speaks HTTPS under the stack's CA (made by docker/make-secrets.sh).
NODE_EXTRA_CA_CERTS="$GATEHOUSE_SECRETS_DIR/ca.crt" node scripts/compose-test/check.ts
phase "checks done"
