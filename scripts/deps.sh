#!/usr/bin/env bash
# Installs the system packages Raspored builds against, when they are missing (Debian/Ubuntu).
# Idempotent: does nothing when everything is there. Needs root or sudo only when it installs.
set -euo pipefail
packages=(libhwloc-dev libnuma-dev hwloc pkg-config libsqlite3-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "Installing ${missing[*]} ..." >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "Swift 6.1 or newer must be on PATH (https://swift.org/install)" >&2; exit 1; }
