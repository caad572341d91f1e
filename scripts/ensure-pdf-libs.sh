#!/usr/bin/env bash
# WeasyPrint (certificate PDFs) needs Pango and HarfBuzz's subsetter from the system.
# Install the Debian packages that are missing when we are allowed to; otherwise say exactly what to do.
set -euo pipefail
declare -A NEEDED=([libpango-1.0.so.0]=libpango-1.0-0 [libpangoft2-1.0.so.0]=libpangoft2-1.0-0
                   [libharfbuzz-subset.so.0]=libharfbuzz-subset0 [libfontconfig.so.1]=libfontconfig1)
missing=()
for lib in "${!NEEDED[@]}"; do
  if ! /sbin/ldconfig -p 2>/dev/null | grep -q "$lib"; then missing+=("${NEEDED[$lib]}"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Certificate PDFs need these system libraries: ${missing[*]}" >&2
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
      echo "Run as root: apt-get install -y ${missing[*]}" >&2; exit 1
    fi
  fi
  echo "Installing them with apt-get …" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "Could not install ${missing[*]}. Install these Debian packages (or your system's Pango and HarfBuzz) and run again." >&2
exit 1
