#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
# Install it with apt-get when it is missing and we are allowed to; otherwise say exactly what to do.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
echo "Chromium is not installed at $CHROMIUM; the browser tests need it." >&2
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "Run as root: apt-get install -y chromium" >&2; exit 1
    fi
  fi
  echo "Installing Debian's chromium package with apt-get …" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "Could not install Chromium. Install Debian's 'chromium' package (or set CHROMIUM_PATH) and run again." >&2
exit 1
