#!/usr/bin/env bash
# Install the Debian packages geogrid needs, only those missing.
#   run:  SpatiaLite (the embedded store)
#   test: + PostgreSQL with PostGIS (throwaway test clusters) and Chromium (page tests)
#   bench: + wrk (HTTP load generator)
set -euo pipefail
profile="${1:-run}"
pkgs=(libsqlite3-mod-spatialite)
if [ "$profile" = "test" ] || [ "$profile" = "bench" ]; then
  pkgs+=(postgresql postgresql-15-postgis-3 chromium fonts-noto-cjk)
fi
if [ "$profile" = "bench" ]; then
  pkgs+=(wrk)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
