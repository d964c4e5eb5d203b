#!/usr/bin/env bash
# bench/stats_cg.sh - what one GET /api/v1/stats costs, in instructions
# counted under callgrind inside mp_stats_compute alone (the store's query
# and the per-report accounting; not HTTP, not JSON): repeatable under any
# load, for comparing two builds or two packs (issue 21: a region's stats
# against Chicago's).
#
#   bench/stats_cg.sh PACK DB [BIN...]
#   bench/stats_cg.sh geodata/halle-vilvoorde bench/data/city-halle-vilvoorde-100000.sqlite \
#       /tmp/meldpunt-before build-bench/meldpunt
#
# For each binary (default build-bench/meldpunt) the server runs under
# callgrind on a copy of DB and answers K (default 1) requests of each
# group_by in BY (default "category district") over 2023-2024, the URL
# bench/run.sh's stats scenario asks. Open DB once beforehand with the newest
# binary (a schema upgrade under callgrind is slow). Prints one line per
# binary and group_by:
#   stats_cg: <bin> <pack> by <by>: <n> instructions per request
# Knobs: K, BY, PORT (18095), OUT (bench/data/stats-cg).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
PACK=$(realpath "$1")
DB=$2
shift 2
[ $# -gt 0 ] || set -- build-bench/meldpunt
K=${K:-1}
BY=${BY:-category district}
PORT=${PORT:-18095}
OUT=${OUT:-$ROOT/bench/data/stats-cg}
[ -s "$DB" ] || { echo "stats_cg: no $DB" >&2; exit 1; }
mkdir -p "$OUT"
PID=""
stop() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT
for bin in "$@"; do
    bin=$(realpath "$bin")
    for by in $BY; do
        rm -f "$OUT"/cg.out* "$OUT"/serve.sqlite*
        cp "$DB" "$OUT/serve.sqlite"
        valgrind --tool=callgrind --collect-atstart=no --toggle-collect=mp_stats_compute \
            --callgrind-out-file="$OUT/cg.out" "$bin" serve --db "$OUT/serve.sqlite" --city "$PACK" \
            --web "$ROOT/web" --listen "127.0.0.1:$PORT" --threads 2 >"$OUT/serve.log" 2>&1 &
        PID=$!
        for _ in $(seq 1 2400); do
            curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
            kill -0 "$PID" 2>/dev/null || { echo "stats_cg: the server did not start (see $OUT/serve.log)" >&2; exit 1; }
            sleep 0.5
        done
        for _ in $(seq 1 "$K"); do
            curl -sf -o "$OUT/stats-$by.json" --max-time 3600 \
                "http://127.0.0.1:$PORT/api/v1/stats?from=2023-01-01&to=2025-01-01&group_by=$by" ||
                { echo "stats_cg: the request failed" >&2; exit 1; }
        done
        callgrind_control -d "$PID" >/dev/null 2>&1
        stop
        f=$(ls "$OUT"/cg.out* | sort | tail -1)
        total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
        cp "$f" "$OUT/cg-$(basename "$PACK")-$by-$(basename "$bin").out"
        echo "stats_cg: $bin $(basename "$PACK") by $by: $(awk -v t="$total" -v k="$K" 'BEGIN { printf "%.0f", t / k }') instructions per request"
    done
done
