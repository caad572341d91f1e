#!/usr/bin/env bash
# apt-install.sh PACKAGE…: install Debian packages when we may (root, or password-less sudo);
# otherwise print the command to run. Shared by the ensure-*.sh scripts.
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get is not available: install the equivalent of $* with your system's package manager." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Run as root: apt-get install -y $*" >&2; exit 1
  fi
fi
echo "Installing $* with apt-get …" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
