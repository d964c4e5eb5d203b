#!/bin/sh
# bench/worklist.sh - how long a crew waits for a 2,000-stop worklist.
#
# 1. The route planner alone (bench/worklist.c) for 9 to 5,000 stops.
# 2. End to end on a release build: 2,000 open pothole clusters on a jittered
#    240 m grid (imported through the normal validation and clustering path),
#    then GET /api/v1/worklist for a streets crew from a start point, in each
#    format: wall time with curl (15 runs, median and min) and the server's
#    CPU time per request.
#
# Usage: bench/worklist.sh   (BUILD=dir to choose the release build folder)
# Needs cmake, a C compiler, python3, curl. Listens on 127.0.0.1 only.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench-worklist}
WORK=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMELDPUNT_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j2 --target meldpunt >/dev/null
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$SRC/include" "$SRC/bench/worklist.c" \
    "$SRC/server/route.c" -lm -o "$WORK/bench_route"
"$WORK/bench_route"

python3 - "$WORK/grid.csv" <<'PY'
import math, random, sys
random.seed(7)
lat0, lon0 = 41.742, -87.725
rows = ["sr_number,sr_type,sr_short_code,status,origin,created_date,closed_date,street_address,"
        "duplicate,parent_sr_number,community_area,latitude,longitude"]
n = 0
for i in range(50):
    for j in range(40):
        north = i * 240 + (random.random() - 0.5) * 60
        east = j * 240 + (random.random() - 0.5) * 60
        lat = lat0 + north / 111320
        lon = lon0 + east / (111320 * math.cos(math.radians(lat0)))
        rows.append("SR99-%08d,Pothole in Street Complaint,PHF,Open,Internet,"
                    "2021-01-04T08:00:00.000,,%d W GRID ST,False,,,%.7f,%.7f" % (n, 100 + n, lat, lon))
        n += 1
open(sys.argv[1], "w", newline="").write("\r\n".join(rows) + "\r\n")
PY

DB="$WORK/bench.sqlite"
BIN="$BUILD/meldpunt"
CITY="$SRC/geodata/chicago"
"$BIN" import --db "$DB" --city "$CITY" --format chicago311 "$WORK/grid.csv" | grep -E '^(imported|seconds)'
TOKEN=$("$BIN" user add bench-crew --role crew --department streets --region --db "$DB" --city "$CITY")
MELDPUNT_TILE_URL= "$BIN" serve --db "$DB" --city "$CITY" --web "$SRC/web" --listen 127.0.0.1:0 \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
PID=$!
URL=
for _ in $(seq 1 100); do
    URL=$(sed -n 's/^meldpunt: listening on \(http:[^ ]*\).*/\1/p' "$WORK/serve.out")
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { echo "server did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }

# Wall time per request (curl), and the server's CPU time per request from
# /proc: on a busy machine the first includes waiting for a core, the second
# does not.
TCK=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
for fmt in geojson csv gpx; do
    Q="$URL/api/v1/worklist?start=-87.70,41.80&format=$fmt"
    curl -sf -o "$WORK/out.$fmt" -H "Authorization: Bearer $TOKEN" "$Q"
    STOPS=$(python3 -c "import json; d=json.load(open('$WORK/out.geojson')); print(d['count'], round(d['route_length_m']/1000,1))")
    C0=$(cpu)
    for _ in $(seq 1 15); do
        curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$Q"
    done | sort -n >"$WORK/times"
    C1=$(cpu)
    awk -v fmt="$fmt" -v stops="$STOPS" -v bytes="$(wc -c <"$WORK/out.$fmt")" \
        -v cpu_ms="$(( (C1 - C0) * 1000 / TCK / 15 ))" \
        '{ t[NR] = $1 } END { split(stops, s, " ");
           printf "worklist %-7s %s stops, %s km, %d bytes: wall median %.1f ms, min %.1f ms; server CPU %d ms/request\n",
                  fmt, s[1], s[2], bytes, t[8] * 1000, t[1] * 1000, cpu_ms }' "$WORK/times"
done
