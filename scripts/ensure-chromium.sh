#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed: the console's browser test drives it through
# playwright-core (test/e2e/console-browser.test.ts).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"; exit 0; fi
echo "chromium: installing (apt)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq chromium >/dev/null
echo "chromium: installed"
