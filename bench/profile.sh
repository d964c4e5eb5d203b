#!/usr/bin/env bash
# bench/profile.sh - where the time goes on the hot request paths, on the
# cached 1M database of bench/run.sh (run that once first).
#
#   bench/profile.sh [reads|grid|ingest ...]     default: all three
#
# For each path:
#   callgrind  the server under valgrind --tool=callgrind, counters zeroed after
#              start-up, K requests, then a dump: instructions per request and
#              the top functions (self and inclusive). Instruction counts do not
#              depend on other load on the machine, so runs compare.
#   perf       the normal server under wrk for a few seconds, perf record with
#              DWARF call graphs: the top functions by CPU samples.
# Output: bench/data/profile/<path>.{callgrind,perf}.txt, summary on stdout.
# Everything on 127.0.0.1; processes started here are stopped by pid.
set -eu # no pipefail: the reports are cut short with head
cd "$(dirname "$0")/.."
ROOT=$PWD
D=$ROOT/bench/data
N=${BENCH_N:-1000000}
DB=$D/city-$N.sqlite
BIN=$ROOT/build-bench/meldpunt
CITY=$ROOT/geodata/chicago
OUT=$D/profile
PORT=${BENCH_PORT:-18080}
K=${PROFILE_REQUESTS:-20}
WHAT=${*:-reads grid ingest}
# All requests come from one address: lift the per-address write limit.
export MELDPUNT_RATE_WRITES=0 MELDPUNT_RATE_READS=0
[ -s "$DB" ] && [ -x "$BIN" ] || { echo "profile: run bench/run.sh first ($DB, $BIN)" >&2; exit 1; }
[ -s "$D/bbox-$N.txt" ] || { echo "profile: no $D/bbox-$N.txt: run BENCH_ONLY=reads bench/run.sh" >&2; exit 1; }
mkdir -p "$OUT"
BBOX=$(cut -d' ' -f1 "$D/bbox-$N.txt")
CITY_BBOX=$(python3 -c 'import json,sys; print(",".join("%.6f" % v for v in json.load(open(sys.argv[1]))["bbox"]))' "$CITY/city.json")
PID=""
stop() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT

wait_up() {
    for _ in $(seq 1 600); do
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
        kill -0 "$PID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
bodies() { # n -> JSON report bodies from the generated city
    python3 - "$D/city-$N.csv" "$1" <<'EOF'
import csv, json, sys
n = int(sys.argv[2])
with open(sys.argv[1], encoding="utf-8") as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i % 50:
            continue
        print(json.dumps({"category": row["category"], "lat": float(row["lat"]),
                          "lon": float(row["lon"]), "description": "benchmark report"},
                         separators=(",", ":")))
        n -= 1
        if n == 0:
            break
EOF
}
# count boxes: BOX moved by up to +-JITTER degrees each, so that no request is
# answered from a response cache (the profile is of the work, not of a hit).
walk() { # box jitter count seed
    python3 - "$@" <<'EOF'
import random, sys
x0, y0, x1, y1 = map(float, sys.argv[1].split(","))
j, n = float(sys.argv[2]), int(sys.argv[3])
rng = random.Random(int(sys.argv[4]))
for _ in range(n):
    dx, dy = rng.uniform(-j, j), rng.uniform(-j, j)
    print("%.6f,%.6f,%.6f,%.6f" % (x0 + dx, y0 + dy, x1 + dx, y1 + dy))
EOF
}
SEED=0
drive() { # path count
    SEED=$((SEED + 1))
    case $1 in
    reads) walk "$BBOX" 0.002 "$2" "$SEED" | while read -r b; do
            curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/reports?bbox=$b"
        done ;;
    grid) walk "$CITY_BBOX" 0.01 "$2" "$SEED" | while read -r b; do
            curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/clusters/grid?bbox=$b&zoom=11"
        done ;;
    ingest) bodies "$2" | while read -r b; do
            curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary "$b" \
                "http://127.0.0.1:$PORT/api/v1/reports"
        done ;;
    esac
}

for what in $WHAT; do
    cp "$DB" "$OUT/serve.sqlite"
    rm -f "$OUT/serve.sqlite-wal" "$OUT/serve.sqlite-shm"
    k=$K
    [ "$what" = ingest ] && k=$((K * 10))
    # ---- callgrind ----
    rm -f "$OUT/$what".cg.out*
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$what.cg.out" \
        "$BIN" serve --db "$OUT/serve.sqlite" --city "$CITY" --threads 1 \
        --listen "127.0.0.1:$PORT" >"$OUT/$what.valgrind.log" 2>&1 &
    PID=$!
    wait_up || { echo "profile: server under valgrind did not start" >&2; exit 1; }
    drive "$what" 2 # warm the page cache and prepared statements
    callgrind_control -z "$PID" >/dev/null
    drive "$what" "$k"
    callgrind_control -d "$PID" >/dev/null
    stop
    f=$OUT/$what.cg.out.1 # the dump taken right after the K requests
    total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    {
        echo "== $what: callgrind, $k requests, $(awk -v t="$total" -v k="$k" 'BEGIN { printf "%.1f M", t / k / 1e6 }') instructions per request"
        # After a zero in mid-run callgrind books everything to the threads'
        # entry frames (clone, start_thread) too: leave those out.
        echo "-- callgrind, self (instructions over all $k requests) --"
        callgrind_annotate --inclusive=no --threshold=100 "$f" 2>/dev/null |
            sed -n '/file:function/,$p' | grep -E '^ *[0-9,]+ \(' |
            grep -v -e 'clone.S:clone' -e 'start_thread' | head -30
        echo "-- callgrind, inclusive --"
        callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null |
            sed -n '/file:function/,$p' | grep -E '^ *[0-9,]+ \(' |
            grep -v -e 'clone.S:clone' -e 'start_thread' | head -45
    } >"$OUT/$what.callgrind.txt"
    # keep the dump for callgrind_annotate / kcachegrind: $OUT/$what.cg.out.1
    # ---- perf ----
    if command -v perf >/dev/null; then
        "$BIN" serve --db "$OUT/serve.sqlite" --city "$CITY" --listen "127.0.0.1:$PORT" \
            >"$OUT/$what.serve.log" 2>&1 &
        PID=$!
        wait_up
        url="http://127.0.0.1:$PORT"
        case $what in
        reads) args=(-s bench/bbox_walk.lua "$url" -- "/api/v1/reports?bbox=" "$BBOX" "" 0.002) ;;
        grid) args=(-s bench/bbox_walk.lua "$url" -- "/api/v1/clusters/grid?bbox=" "$CITY_BBOX" "&zoom=11" 0.01) ;;
        ingest) bodies 20000 >"$OUT/bodies.jsonl"
            args=(-s bench/post_reports.lua "$url" -- "$OUT/bodies.jsonl") ;;
        esac
        wrk -t1 -c8 -d12s "${args[@]}" >"$OUT/$what.wrk.txt" 2>&1 &
        wpid=$!
        sleep 1
        perf record -F 499 --call-graph dwarf,16384 -p "$PID" -o "$OUT/$what.perf.data" -- sleep 8 \
            >/dev/null 2>&1 || true
        wait "$wpid" || true
        stop
        {
            echo "-- perf, self --"
            perf report -i "$OUT/$what.perf.data" --no-children -g none --sort dso,symbol \
                --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -30
            echo "-- perf, with children --"
            perf report -i "$OUT/$what.perf.data" --children -g none --sort symbol \
                --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40
        } >"$OUT/$what.perf.txt" || true
        rm -f "$OUT/$what.perf.data"
    fi
    rm -f "$OUT/serve.sqlite" "$OUT/serve.sqlite-wal" "$OUT/serve.sqlite-shm"
    head -1 "$OUT/$what.callgrind.txt"
    sed -n '/-- callgrind, self/,/-- callgrind, inclusive/p' "$OUT/$what.callgrind.txt" | head -16
    [ -s "$OUT/$what.perf.txt" ] && head -16 "$OUT/$what.perf.txt"
    echo
done
