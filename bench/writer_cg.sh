#!/usr/bin/env bash
# bench/writer_cg.sh - instructions of the writer thread per stored report,
# under callgrind: repeatable figures to compare write-path changes by
# (bench/README.md, "Ingest"). The server runs on a copy of DB under
# `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='run_batch*'`,
# so that only the writer's batches are counted, while CLIENTS connections
# post K report bodies made from the city's CSV (every 50th row, as
# bench/run.sh's ingest does: real places and categories). Instructions per
# report = the total / the reports the database gained.
#
#   bench/writer_cg.sh [DB [CSV]]     default bench/data/city-1000000.{sqlite,csv}
#
# Knobs: K (reports, 400), CLIENTS (8), BIN (build-bench/meldpunt), PORT
# (18090), OUT (bench/data/writer-cg). Prints one line:
#   writer_cg: <instructions per report> instructions per report (<reports> reports; dump <file>)
# and leaves the callgrind dump in OUT for callgrind_annotate.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
DB=${1:-$ROOT/bench/data/city-1000000.sqlite}
CSV=${2:-${DB%.sqlite}.csv}
K=${K:-400}
CLIENTS=${CLIENTS:-8}
BIN=${BIN:-$ROOT/build-bench/meldpunt}
PORT=${PORT:-18090}
OUT=${OUT:-$ROOT/bench/data/writer-cg}
export MELDPUNT_RATE_WRITES=0
[ -s "$DB" ] && [ -s "$CSV" ] && [ -x "$BIN" ] || { echo "writer_cg: need $DB, $CSV and $BIN" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/cg.out* "$OUT"/serve.sqlite*
cp "$DB" "$OUT/serve.sqlite"
PID=""
stop() { if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap stop EXIT
valgrind --tool=callgrind --collect-atstart=no --toggle-collect='run_batch*' \
    --callgrind-out-file="$OUT/cg.out" "$BIN" serve --db "$OUT/serve.sqlite" \
    --city "$ROOT/geodata/chicago" --listen "127.0.0.1:$PORT" --threads 2 >"$OUT/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    kill -0 "$PID" 2>/dev/null || { echo "writer_cg: the server did not start (see $OUT/serve.log)" >&2; exit 1; }
    sleep 0.2
done
count() { curl -sf "http://127.0.0.1:$PORT/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"])'; }
before=$(count)
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
after=$(count)
callgrind_control -d "$PID" >/dev/null 2>&1
stop
f=$(ls "$OUT"/cg.out* | sort | tail -1)
total=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
n=$((after - before))
echo "writer_cg: $(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.0f", t / n }') instructions per report ($n reports; dump $f)"
