#!/usr/bin/env bash
# bench/soak.sh [SECONDS] - the soak test of issue 8: a server on a copy of
# a generated city of SOAK_N reports under a mixed load (reads, writes,
# exports) for SECONDS (default 600), then SIGTERM. Passes when there was no
# 5xx, no error, the server exited 0 and its resident memory in the last
# minute is within 10% of its level in the minute after the warm-up (medians
# of samples every 5 s). See bench/README.md ("Soak").
#
# Environment: SOAK_BIN (default build-bench/meldpunt, built here as Release
# when missing), SOAK_N (reports in the generated city, 100000: bigger than
# the server's caches, so that they are full after the warm-up; the city is
# made by bench/gen_city.py + meldpunt import once and kept in bench/data/;
# 0 = the small demo city), SOAK_DB (serve a copy of this database instead),
# SOAK_WARMUP (60), SOAK_READERS (12), SOAK_WRITE_RATE (20 per second),
# SOAK_EXPORTERS (1). Loopback only; the run stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
secs=${1:-600}
BIN=${SOAK_BIN:-$ROOT/build-bench/meldpunt}
if [ ! -x "$BIN" ]; then
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DMELDPUNT_WERROR=OFF -DBUILD_TESTING=OFF >/dev/null
    cmake --build build-bench -j"$(nproc)" --target meldpunt >/dev/null
    BIN=$ROOT/build-bench/meldpunt
fi
dir=$(mktemp -d /tmp/meldpunt-soak-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

echo "soak: $BIN, ${secs}s, database in $dir"
SOAK_N=${SOAK_N:-100000}
if [ -z "${SOAK_DB:-}" ] && [ "$SOAK_N" != 0 ]; then
    # The same files bench/run.sh makes and keeps for BENCH_N=$SOAK_N.
    SOAK_DB=$ROOT/bench/data/city-$SOAK_N.sqlite
    if [ ! -f "$SOAK_DB" ]; then
        mkdir -p "$ROOT/bench/data"
        csv=$ROOT/bench/data/city-$SOAK_N.csv
        [ -f "$csv" ] || python3 bench/gen_city.py -n "$SOAK_N" --out "$csv"
        "$BIN" import --db "$SOAK_DB.tmp" --city geodata/chicago --format labelled "$csv" >/dev/null
        mv "$SOAK_DB.tmp" "$SOAK_DB"
    fi
fi
if [ -n "${SOAK_DB:-}" ]; then
    # A bigger city, e.g. from bench/gen_city.py + meldpunt import --format labelled:
    # SQLite's caches are then full after the warm-up and writes add little to them.
    "$BIN" backup --db "$SOAK_DB" "$dir/soak.sqlite" >/dev/null
else
    "$BIN" import --db "$dir/soak.sqlite" --format chicago311 \
        geodata/chicago/demo/chicago311-2021-01-01.csv >/dev/null
fi
# Writes come from one address here: per-IP rate limiting would refuse them.
MELDPUNT_RATE_WRITES=0 MELDPUNT_RATE_READS=0 MELDPUNT_TILE_URL= "$BIN" serve --db "$dir/soak.sqlite" \
    --listen 127.0.0.1:0 >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
url=
for _ in $(seq 300); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$dir/out.log" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "soak: server did not start"; cat "$dir/err.log"; exit 1; }

set +e
node bench/soak.mjs --url "$url" --pid "$pid" --db "$dir/soak.sqlite" --duration "$secs" \
    --warmup "${SOAK_WARMUP:-60}" --readers "${SOAK_READERS:-12}" \
    --write-rate "${SOAK_WRITE_RATE:-20}" --exporters "${SOAK_EXPORTERS:-1}"
rc=$?
set -e
kill -TERM "$pid"
exit_status=0
wait "$pid" || exit_status=$?
pid=
echo "soak: server exit status $exit_status after SIGTERM; $(grep -c . "$dir/err.log" || true) log lines"
grep -v "signal 15" "$dir/err.log" | head -20 || true
[ $rc -eq 0 ] && [ $exit_status -eq 0 ]
