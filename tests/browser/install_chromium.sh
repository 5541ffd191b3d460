#!/usr/bin/env bash
# Install Debian's Chromium for the browser test (tests/browser), if it is not there yet.
# Root (CI, the dev machines here): apt-get installs it. Not root and no Chromium: says so and exits 0; the
# test then skips with that reason. Never downloads a browser build of its own (no `playwright install`).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install_chromium.sh: /usr/bin/chromium is missing and this is not root: cannot apt-get install chromium" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
