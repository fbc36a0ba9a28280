#!/usr/bin/env bash
# Makes sure Debian's Python can run Authlib clients (the auth server's interop test,
# packages/auth-server/test/interop-authlib.test.ts): installs python3-authlib and python3-requests with apt if
# either is missing. The test fails, never skips, when they are absent.
set -euo pipefail
python="${GATEHOUSE_PYTHON:-/usr/bin/python3}"
if "$python" -c 'import authlib, requests' 2>/dev/null; then
  echo "authlib: $("$python" -c 'import authlib; print(authlib.__version__)') importable by $python"
  exit 0
fi
echo "authlib: installing python3-authlib python3-requests (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq python3 python3-authlib python3-requests >/dev/null
"$python" -c 'import authlib, requests' || { echo "authlib: still not importable by $python" >&2; exit 1; }
echo "authlib: installed"
