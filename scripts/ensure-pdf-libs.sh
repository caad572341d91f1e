#!/usr/bin/env bash
# WeasyPrint (certificate PDFs) needs Pango and HarfBuzz's subsetter from the system.
# Install the Debian packages that are missing when we are allowed to; otherwise say exactly what to do.
set -euo pipefail
declare -A NEEDED=([libpango-1.0.so.0]=libpango-1.0-0 [libpangoft2-1.0.so.0]=libpangoft2-1.0-0
                   [libharfbuzz-subset.so.0]=libharfbuzz-subset0 [libfontconfig.so.1]=libfontconfig1)
missing() {
  for lib in "${!NEEDED[@]}"; do
    /sbin/ldconfig -p 2>/dev/null | grep -q "$lib" || echo "${NEEDED[$lib]}"
  done
}
packages=$(missing)
[ -z "$packages" ] && exit 0
echo "Certificate PDFs need these system libraries: $packages" >&2
# shellcheck disable=SC2086 - one word per package
bash "$(dirname "$0")/apt-install.sh" $packages || true
[ -z "$(missing)" ] && exit 0
echo "Could not install $packages. Install these Debian packages (or your system's Pango and HarfBuzz) and run again." >&2
exit 1
