#!/usr/bin/env bash
# bench/writer_cg.sh - the writer thread's cost per stored report (issue 15:
# at most 200 us of writer CPU per report), for comparing write-path changes
# and two builds back to back without wrk (python posts the reports).
#
# The server runs on a copy of DB while CLIENTS connections post K report
# bodies made from the city's CSV (every 50th row, as bench/run.sh's ingest
# does: real places and categories). Cost per report = the writer thread's
# cost / the reports the database gained.
#
#   MODE=cpu bench/writer_cg.sh [DB [CSV]]   CPU time of the thread mp-writer
#                                            (/proc/PID/task/*/stat), us per report
#   MODE=cg  bench/writer_cg.sh [DB [CSV]]   instructions under callgrind, counted
#                                            in the writer's thread function only
#                                            (--toggle-collect=writer): repeatable
#                                            under any load
#
# DB defaults to bench/data/city-1000000.sqlite, CSV to DB with .csv. Open the
# copy once beforehand with the binary measured when it upgrades the schema
# (an upgrade under callgrind takes hours). Knobs: MODE (cpu), K (reports:
# 6000 for cpu, 400 for cg), CLIENTS (32), BIN (build-bench/meldpunt), PORT
# (18090), OUT (bench/data/writer-<MODE>). Prints one line:
#   writer_cg: <cost> us CPU|instructions per report (<reports> reports, batches of ~<n>)
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
DB=${1:-$ROOT/bench/data/city-1000000.sqlite}
CSV=${2:-${DB%.sqlite}.csv}
MODE=${MODE:-cpu}
if [ "$MODE" = cg ]; then K=${K:-400}; else K=${K:-6000}; fi
CLIENTS=${CLIENTS:-32}
BIN=$(realpath "${BIN:-$ROOT/build-bench/meldpunt}")
PORT=${PORT:-18090}
OUT=${OUT:-$ROOT/bench/data/writer-$MODE}
export MELDPUNT_RATE_WRITES=0
[ -s "$DB" ] && [ -s "$CSV" ] && [ -x "$BIN" ] || { echo "writer_cg: need $DB, $CSV and $BIN" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/cg.out* "$OUT"/serve.sqlite*
cp "$DB" "$OUT/serve.sqlite"
PID=""
stop() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT
SERVE=("$BIN" serve --db "$OUT/serve.sqlite" --city "$ROOT/geodata/chicago" --web "$ROOT/web"
    --listen "127.0.0.1:$PORT" --threads 2)
if [ "$MODE" = cg ]; then
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=writer \
        --callgrind-out-file="$OUT/cg.out" "${SERVE[@]}" >"$OUT/serve.log" 2>&1 &
else
    "${SERVE[@]}" >"$OUT/serve.log" 2>&1 &
fi
PID=$!
for _ in $(seq 1 1200); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    kill -0 "$PID" 2>/dev/null || { echo "writer_cg: the server did not start (see $OUT/serve.log)" >&2; exit 1; }
    sleep 0.5
done
count() { curl -sf "http://127.0.0.1:$PORT/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])'; }
# CPU seconds (user + system) of the server's thread named mp-writer.
writer_cpu() {
    local t
    for t in /proc/"$PID"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = mp-writer ] || continue
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "$t/stat"
        return
    done
    echo 0
}
before=$(count)
c0=$(writer_cpu)
t0=$(date +%s.%N)
python3 - "$CSV" "$K" "$CLIENTS" "$PORT" <<'EOF'
import csv, http.client, json, sys, threading
path, k, clients, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bodies = []
with open(path, encoding="utf-8") as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i % 50:
            continue
        bodies.append(json.dumps({"category": row["category"], "lat": float(row["lat"]),
                                  "lon": float(row["lon"]), "description": "benchmark report"},
                                 separators=(",", ":")))
        if len(bodies) == k:
            break
failed = []
def post(part):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for b in part:
        c.request("POST", "/api/v1/reports", b, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 201:
            failed.append(r.status)
threads = [threading.Thread(target=post, args=(bodies[i::clients],)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failed:
    sys.exit("writer_cg: %d posts failed: %s" % (len(failed), sorted(set(failed))))
EOF
t1=$(date +%s.%N)
c1=$(writer_cpu)
after=$(count)
n=$((after - before))
if [ "$MODE" = cg ]; then
    callgrind_control -d "$PID" >/dev/null 2>&1
    stop
    f=$(ls "$OUT"/cg.out* | sort | tail -1)
    total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
    echo "writer_cg: $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }') instructions per report ($n reports; dump $f)"
else
    stop
    echo "writer_cg: $(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }') us writer CPU per report ($n reports in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $CLIENTS clients, load $(cut -d' ' -f1 /proc/loadavg))"
fi
