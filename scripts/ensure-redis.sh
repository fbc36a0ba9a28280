#!/usr/bin/env bash
# Makes sure a Redis server answers at REDIS_URL (default redis://127.0.0.1:6379):
# uses the running one, else starts `redis-server` on loopback, installing Debian's package if absent.
# Also installs `redis-sentinel` when missing: service-kit's Redis client tests start a sentinel of their own.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${url#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

ping() {
  if command -v redis-cli >/dev/null; then
    redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG
  else
    exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
    printf 'PING\r\n' >&3; local reply; read -r -t 2 reply <&3 || true; exec 3>&-
    [[ "$reply" == +PONG* ]]
  fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
}
if ! command -v redis-sentinel >/dev/null; then
  echo "redis: installing redis-sentinel (apt)"
  apt_install redis-sentinel
fi

if ping; then echo "redis: answering at $host:$port"; exit 0; fi
case "$host" in 127.*|localhost|::1) ;; *) echo "redis: $host:$port does not answer and is not local" >&2; exit 1 ;; esac
if ! command -v redis-server >/dev/null; then
  echo "redis: installing redis-server (apt)"
  apt_install redis-server
fi
echo "redis: starting redis-server on $host:$port"
redis-server --daemonize yes --bind "$host" --port "$port" --save "" --appendonly no \
  --dir /tmp --logfile "/tmp/gatehouse-redis-$port.log"
for _ in $(seq 1 50); do ping && { echo "redis: up"; exit 0; }; sleep 0.1; done
echo "redis: did not come up; see /tmp/gatehouse-redis-$port.log" >&2
exit 1
