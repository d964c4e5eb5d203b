#!/usr/bin/env bash
# bench/engine_rows.sh - meldpunt's own figures of bench/run.sh's "map read",
# "grid" and "ingest" rows, without the anchors (no PostgreSQL, nginx or
# pgbench to load first): the same wrk commands on a copy of DB, for
# comparing two builds or two schemas back to back.
#
#   bench/engine_rows.sh BIN DB [CSV]      CSV default: DB with .csv (the city's rows)
#
# Knobs: DUR (seconds per read run, 10), INGEST_DUR (20), PORT (18095),
# OUT (bench/data/engine-rows). The map-read box is bench/data/bbox-N.txt
# when run.sh made it, else the same bisection. Prints one line per row.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(realpath "$1")
DB=$2
CSV=${3:-${DB%.sqlite}.csv}
DUR=${DUR:-10}
INGEST_DUR=${INGEST_DUR:-20}
PORT=${PORT:-18095}
OUT=${OUT:-$ROOT/bench/data/engine-rows}
CITY=$ROOT/geodata/chicago
mkdir -p "$OUT"
PID=""
stop() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT
start() { # db [env...]
    local db=$1
    shift
    env "$@" "$BIN" serve --db "$db" --city "$CITY" --web "$ROOT/web" --listen "127.0.0.1:$PORT" \
        >>"$OUT/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 600); do
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
        kill -0 "$PID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
thread_cpu() {
    local t sum=0
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] || continue
        sum=$(awk -v s="$sum" -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", s + ($14 + $15) / hz }' "$t/stat")
    done
    echo "$sum"
}
p50() { awk '/^ +50%/ { v = $2; n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }' "$1"; }
total() { awk '/requests in/ { print $1 }' "$1"; }
per_req() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }'; }

N=$(sqlite3 -readonly "$DB" 'SELECT count(*) FROM reports')
BBOXF=$ROOT/bench/data/bbox-$N.txt
if [ ! -s "$BBOXF" ]; then
    python3 - "$DB" "$CITY/city.json" >"$BBOXF" <<'EOF'
import json, math, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
cx, cy = json.load(open(sys.argv[2]))["center"]
pts = db.execute("SELECT lon, lat FROM reports WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
                 (cx - 0.05, cx + 0.05, cy - 0.05, cy + 0.05)).fetchall()
k = math.cos(math.radians(cy))
def box(h):
    return (round(cx - h / k, 6), round(cy - h, 6), round(cx + h / k, 6), round(cy + h, 6))
def count(b):
    return sum(1 for x, y in pts if b[0] <= x <= b[2] and b[1] <= y <= b[3])
lo, hi = 0.0, 0.04
for _ in range(40):
    mid = (lo + hi) / 2
    if count(box(mid)) <= 1000:
        lo = mid
    else:
        hi = mid
b = box(lo)
print("%.6f,%.6f,%.6f,%.6f %d" % (b + (count(b),)))
EOF
fi
read -r BBOX _ <"$BBOXF"
CITY_BBOX=$(python3 -c 'import json,sys; print(",".join("%.6f" % v for v in json.load(open(sys.argv[1]))["bbox"]))' "$CITY/city.json")
URL=http://127.0.0.1:$PORT
echo "engine_rows: $BIN on $DB ($N reports), load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- reads and grid: one server on a copy ----
cp "$DB" "$OUT/serve.sqlite"
rm -f "$OUT/serve.sqlite-wal" "$OUT/serve.sqlite-shm"
start "$OUT/serve.sqlite" || { echo "engine_rows: server did not start" >&2; exit 1; }
run() { # name wrk-args... -> "p50 ms, CPU ms/req"
    local name=$1
    shift
    local c0 c1
    c0=$(cpu_of "$PID")
    wrk -t1 -c1 -d"${DUR}s" --latency "$@" >"$OUT/wrk-$name.txt" 2>&1
    c1=$(cpu_of "$PID")
    echo "$name: median $(p50 "$OUT/wrk-$name.txt") ms, server CPU $(per_req "$c0" "$c1" "$(total "$OUT/wrk-$name.txt")") ms/req"
}
run "map-read" "$URL/api/v1/reports?bbox=$BBOX"
run "map-read-walk" -s bench/bbox_walk.lua "$URL" -- "/api/v1/reports?bbox=" "$BBOX" "" 0.002
run "grid" "$URL/api/v1/clusters/grid?bbox=$CITY_BBOX&zoom=11"
run "grid-walk" -s bench/bbox_walk.lua "$URL" -- "/api/v1/clusters/grid?bbox=" "$CITY_BBOX" "&zoom=11" 0.01
stop

# ---- ingest: 64 clients posting on another copy ----
python3 - "$CSV" >"$OUT/ingest-bodies.jsonl" <<'EOF'
import csv, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i % 50:
            continue
        print(json.dumps({"category": row["category"], "lat": float(row["lat"]),
                          "lon": float(row["lon"]), "description": "benchmark report"},
                         separators=(",", ":")))
        if i >= 50 * 20000:
            break
EOF
cp "$DB" "$OUT/ingest.sqlite"
rm -f "$OUT/ingest.sqlite-wal" "$OUT/ingest.sqlite-shm"
sync
start "$OUT/ingest.sqlite" MELDPUNT_RATE_WRITES=0 || { echo "engine_rows: server did not start" >&2; exit 1; }
before=$(curl -sf "$URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')
w0=$(thread_cpu "$PID" mp-writer)
wrk -t2 -c64 -d"${INGEST_DUR}s" --latency -s bench/post_reports.lua "$URL" -- \
    "$OUT/ingest-bodies.jsonl" >"$OUT/wrk-ingest.txt" 2>&1
w1=$(thread_cpu "$PID" mp-writer)
after=$(curl -sf "$URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])')
stop
stored=$((after - before))
echo "ingest: $stored reports in ${INGEST_DUR} s ($(awk -v n="$stored" -v d="$INGEST_DUR" 'BEGIN { printf "%.0f", n / d }')/s, median $(p50 "$OUT/wrk-ingest.txt") ms), writer CPU $(awk -v a="$w0" -v b="$w1" -v n="$stored" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }') us per report"
