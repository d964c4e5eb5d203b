#!/usr/bin/env bash
# Install what meldpunt needs to build, run and test, on Debian 12, as root.
# Idempotent: installs only what is missing. Usage: scripts/setup.sh [run|test|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-test}

pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libsqlite3-dev libspatialite-dev
      libsqlite3-mod-spatialite libproj-dev proj-data libjansson-dev libjpeg-dev libpng-dev libssl-dev
      libpq-dev libcurl4-openssl-dev zlib1g-dev libsystemd-dev tzdata ca-certificates)
case "$what" in
  test) pkgs+=(libcmocka-dev libcurl4-openssl-dev chromium gdal-bin python3-owslib clang
               libclang-rt-14-dev sqlite3 faketime libxml2-utils libxml2-dev clang-format clang-tidy
               nginx python3-aiosmtpd postgresql-15 postgresql-15-postgis-3 prometheus systemd) ;;
  bench) pkgs+=(libcmocka-dev libcurl4-openssl-dev python3-aiosmtpd wrk hyperfine gdal-bin nginx
                postgresql-15-postgis-3 postgresql-client-15 sqlite3 valgrind time linux-perf) ;;
esac
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Leaflet for the page and playwright-core for browser tests come from npm,
# pinned by package-lock.json; reinstall only when the lock file changed.
if [ -f package-lock.json ]; then
  stamp=node_modules/.meldpunt-lock
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
fi
