#!/usr/bin/env bash
# Builds local stand-ins for the two public base images the stack uses, for machines that reach no
# image registry (the compose test runs on such a machine):
#
#   gatehouse-standin/node:24   in place of node:24-slim   (pass as NODE_IMAGE)
#   gatehouse-standin/redis:7   in place of redis:7        (pass as REDIS_IMAGE)
#
# Each is a FROM-scratch root file system holding one program from this machine (the `node` on PATH,
# Debian's `redis-server` and `redis-cli`), exactly the shared libraries `ldd` lists for it, and an
# /etc/passwd with the same non-root user the official image has (node 1000:1000, redis 999:999).
# No shell, no package manager: smaller than the official images, and enough for the stack. Measured
# here: about 3 s for both, against about a minute for a debootstrap'd minimal Debian.
#
#   docker/build-standin-images.sh            # both images (DOCKER_HOST decides which engine)
#   docker/build-standin-images.sh node       # only one
set -euo pipefail

NODE_TAG="${NODE_STANDIN_TAG:-gatehouse-standin/node:24}"
REDIS_TAG="${REDIS_STANDIN_TAG:-gatehouse-standin/redis:7}"
work="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-standin.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Copies a program and every library `ldd` lists for it into the root file system $1, at the same
# paths (links resolved, so the image holds real files).
copy_program() {
  local root="$1" program="$2" target="$3" lib
  install -D -m 0755 "$(readlink -f "$program")" "$root$target"
  while read -r lib; do
    [ -n "$lib" ] || continue
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done < <(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
}

# The files every image needs: users, name resolution through /etc/hosts then DNS, a /tmp.
base_files() {
  local root="$1" user="$2" uid="$3"
  mkdir -p "$root/etc" "$root/tmp" "$root/run"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:/home/%s:/sbin/nologin\n' "$user" "$uid" "$uid" "$user" "$user" > "$root/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$user" "$uid" > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  mkdir -p "$root/home/$user"
  chown "$uid:$uid" "$root/home/$user"
}

# Imports the root file system $1 as image $2 with the given Dockerfile-style changes.
import_image() {
  local root="$1" tag="$2"; shift 2
  local changes=() change
  for change in "$@"; do changes+=(--change "$change"); done
  tar --numeric-owner -C "$root" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
  echo "standin: built $tag ($(du -sh "$root" | cut -f1))"
}

build_node() {
  local root="$work/node" node
  node="$(command -v node)" || { echo "standin: node is not on PATH" >&2; exit 1; }
  copy_program "$root" "$node" /usr/local/bin/node
  base_files "$root" node 1000
  import_image "$root" "$NODE_TAG" \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    "LABEL org.opencontainers.image.description=\"stand-in for node:24-slim: node $("$node" --version) from the build machine\"" \
    'CMD ["node"]'
}

build_redis() {
  local root="$work/redis" server cli
  server="$(command -v redis-server || true)"
  cli="$(command -v redis-cli || true)"
  if [ -z "$server" ] || [ -z "$cli" ]; then
    echo "standin: installing Debian's redis-server" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    server="$(command -v redis-server)"; cli="$(command -v redis-cli)"
  fi
  copy_program "$root" "$server" /usr/local/bin/redis-server
  copy_program "$root" "$cli" /usr/local/bin/redis-cli
  base_files "$root" redis 999
  mkdir -p "$root/data"
  chown 999:999 "$root/data"
  import_image "$root" "$REDIS_TAG" \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    'WORKDIR /data' \
    "LABEL org.opencontainers.image.description=\"stand-in for redis:7: $("$server" --version | cut -d' ' -f1-3) from the build machine\"" \
    'CMD ["redis-server"]'
}

case "${1:-all}" in
  node) build_node ;;
  redis) build_redis ;;
  all) build_node; build_redis ;;
  *) echo "usage: $0 [node|redis|all]" >&2; exit 2 ;;
esac
