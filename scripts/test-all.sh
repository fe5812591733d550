#!/usr/bin/env bash
# The README's test command: installs what the tests need from Debian (Chromium for the UI tests, Python for the
# signature checks) when missing, then installs the package (which builds the server and the UI) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== $(chromium --version 2>/dev/null || echo 'chromium: not found')"

npm ci --no-audit --no-fund
npm test
