#!/usr/bin/env bash
# bench/read_cg.sh - instructions per uncached read request, for comparing
# two builds' read paths under any load (CPU figures at load 15+ move by 20 %
# between rounds; instruction counts do not).
#
#   bench/read_cg.sh BIN DB OUTDIR PORT
#
# The server (BIN) runs under callgrind on a copy of DB, instrumented only
# around each phase; each phase prints the whole process's instructions per
# request: map (the box of bench/data/bbox-100000.txt moved up to 0.002 deg,
# as bbox_walk.lua), grid (the city box moved up to 0.01 deg, zoom 11),
# nearby (random points in the box), list (the whole city, a page of 1,000:
# the id-ordered fallback). Boxes are seeded: two builds get the same ones.
set -eu
BIN=$1 DB=$2 OUT=$3 PORT=$4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"; rm -f "$OUT"/cg.* "$OUT"/serve.sqlite*
cp "$DB" "$OUT/serve.sqlite"
export MELDPUNT_RATE_WRITES=0
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.%p" \
  "$BIN" serve --db "$OUT/serve.sqlite" --city $ROOT/geodata/chicago --web $ROOT/web \
  --listen 127.0.0.1:$PORT --threads 2 >"$OUT/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null http://127.0.0.1:$PORT/healthz && break; sleep 0.5; done
read -r BBOX _ < $ROOT/bench/data/bbox-100000.txt
CITY=$(python3 -c 'import json, sys; print(",".join("%.6f" % v for v in json.load(open(sys.argv[1]))["bbox"]))' "$ROOT/geodata/chicago/city.json")
for phase in map grid nearby list; do
  python3 - "$phase" "$PORT" "$BBOX" "$CITY" > "$OUT/urls-$phase.txt" <<'PY'
import random, sys
phase, port, box, city = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
random.seed(1001)
def jit(b, j):
    x0, y0, x1, y1 = map(float, b.split(","))
    dx, dy = (random.random()*2-1)*j, (random.random()*2-1)*j
    return "%.6f,%.6f,%.6f,%.6f" % (x0+dx, y0+dy, x1+dx, y1+dy)
for i in range(60 if phase != "list" else 10):
    if phase == "map": print("/api/v1/reports?bbox=" + jit(box, 0.002))
    elif phase == "grid": print("/api/v1/clusters/grid?bbox=" + jit(city, 0.01) + "&zoom=11")
    elif phase == "nearby":
        x0, y0, x1, y1 = map(float, box.split(","))
        print("/api/v1/nearby?category=pothole&lat=%.6f&lon=%.6f" % (y0 + random.random()*(y1-y0), x0 + random.random()*(x1-x0)))
    else: print("/api/v1/reports?limit=1000&bbox=" + jit(city, 0.01))
PY
  n=$(wc -l < "$OUT/urls-$phase.txt")
  callgrind_control -i on $PID >/dev/null 2>&1; callgrind_control -z $PID >/dev/null 2>&1
  while read -r u; do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT$u"; done < "$OUT/urls-$phase.txt" | sort | uniq -c | tr '\n' ' ' > "$OUT/codes-$phase.txt"
  callgrind_control -d "$phase" $PID >/dev/null 2>&1; callgrind_control -i off $PID >/dev/null 2>&1; sleep 1
  f=$(ls -t "$OUT"/cg.$PID* | head -1)
  tot=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  echo "$phase: $((tot / n)) instructions per request ($n requests; codes $(cat $OUT/codes-$phase.txt))"
done
kill -TERM $PID; wait $PID 2>/dev/null || true
