#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
# Install it with apt-get when it is missing and we are allowed to; otherwise say exactly what to do.
set -euo pipefail
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
echo "Chromium is not installed at $CHROMIUM; the browser tests need it." >&2
bash "$(dirname "$0")/apt-install.sh" chromium || true
[ -x "$CHROMIUM" ] && exit 0
echo "Could not install Chromium. Install Debian's 'chromium' package (or set CHROMIUM_PATH) and run again." >&2
exit 1
