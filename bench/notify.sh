#!/usr/bin/env bash
# bench/notify.sh - the outbox sender against a local SMTP server (aiosmtpd): messages per
# second it sustains draining a backlog, and the delay from a report's commit to delivery of
# its confirmation. Prints the figures (bench/notify.mjs); asserts nothing.
#
# Environment: NOTIFY_BIN (default build-bench/meldpunt, built here as Release when missing),
# NOTIFY_N (backlog, 1000), NOTIFY_DELAY_N (reports timed one by one, 50), NOTIFY_GAP_MS (200).
# Needs python3-aiosmtpd (scripts/setup.sh bench) and node.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${NOTIFY_BIN:-$ROOT/build-bench/meldpunt}
if [ ! -x "$BIN" ]; then
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DMELDPUNT_WERROR=OFF -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-bench -j"$(nproc)" --target meldpunt >/dev/null
    BIN=$ROOT/build-bench/meldpunt
fi
echo "meldpunt: $BIN ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
MELDPUNT_BINARY=$BIN MELDPUNT_SOURCE_DIR=$ROOT node bench/notify.mjs
