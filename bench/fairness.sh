#!/usr/bin/env bash
# bench/fairness.sh - issue 19's last figure with one command: do eight parallel worst-case
# public reads slow the citizen map for others beyond 2x? Runs bench/cost_budget.mjs several
# times in three set-ups, interleaved so that a change in the machine's load hits all three
# alike, and prints each run's ratio line with the load average, then the best and the median
# ratio of each set-up.
#
#   bench/fairness.sh [RUNS] [SECONDS]       default 3 runs of each set-up, 10 s a phase
#
# Set-ups (FAIR_MODES, default "plain pinned paced"):
#   plain   as cost_budget.mjs always ran: server, map client and attacker share every core
#   pinned  COST_PIN=1: the attacker on CPU 1, the server and the map client on CPU 0, in both
#           phases (taskset). On one machine this is the closest to an attacker elsewhere.
#   paced   pinned, and each attacking connection waits FAIR_RTT_MS (20) ms after an answer,
#           as eight keep-alive connections 20 ms away on the network would (8 / RTT a second).
# Knobs: FAIR_BIN (build-bench/meldpunt, a Release build made here when missing), FAIR_N
# (reports in the generated city, 100000: bench/gen_city.py + meldpunt import, made once and
# kept in bench/data/), FAIR_DB (any database instead), FAIR_RTT_MS, COST_ENV (server
# settings, passed on). Each run's full output: bench/data/fairness/<mode>-<run>.txt (FAIR_OUT).
# Figures are printed, never asserted; loopback only.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-3}
SECONDS_PER_PHASE=${2:-10}
N=${FAIR_N:-100000}
BIN=${FAIR_BIN:-$ROOT/build-bench/meldpunt}
DB=${FAIR_DB:-$ROOT/bench/data/city-$N.sqlite}
MODES=${FAIR_MODES:-plain pinned paced}
RTT=${FAIR_RTT_MS:-20}
OUT=${FAIR_OUT:-$ROOT/bench/data/fairness}
mkdir -p "$OUT"
rm -f "$OUT"/*.txt # the summary reads this invocation's runs only

command -v taskset >/dev/null || { echo "fairness: taskset (util-linux) is needed" >&2; exit 1; }
if [ ! -x "$BIN" ]; then
    echo "fairness: building $BIN (Release)" >&2
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DMELDPUNT_WERROR=OFF >/dev/null
    cmake --build build-bench -j2 --target meldpunt >/dev/null
fi
if [ ! -s "$DB" ]; then
    csv=$ROOT/bench/data/city-$N.csv
    echo "fairness: generating and importing $N reports into $DB (once; minutes)" >&2
    [ -s "$csv" ] || { python3 bench/gen_city.py -n "$N" --out "$csv.tmp" && mv "$csv.tmp" "$csv"; }
    rm -f "$DB.tmp"
    "$BIN" import --db "$DB.tmp" --city geodata/chicago --format labelled "$csv" >/dev/null
    mv "$DB.tmp" "$DB"
fi

echo "fairness: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $RUNS runs x {$MODES}, $SECONDS_PER_PHASE s a phase, $DB"
for run in $(seq 1 "$RUNS"); do
    for mode in $MODES; do
        case $mode in
        plain) pin=0 rtt=0 ;;
        pinned) pin=1 rtt=0 ;;
        paced) pin=1 rtt=$RTT ;;
        *) echo "fairness: unknown mode $mode" >&2; exit 2 ;;
        esac
        f=$OUT/$mode-$run.txt
        echo "== $mode, run $run: $(uptime | sed 's/.*load average/load average/')"
        COST_PIN=$pin COST_RTT_MS=$rtt node bench/cost_budget.mjs "$BIN" "$DB" "$SECONDS_PER_PHASE" "$mode" >"$f" 2>&1 ||
            { echo "fairness: run failed, see $f" >&2; cat "$f" >&2; exit 1; }
        grep -E 'slow-down under load|map request|server CPU|attacker:' "$f" | sed 's/^/   /'
    done
done

# Best (lowest) and median of each set-up's ratios, with the load average at each run's start.
echo
echo "| set-up | runs | p50 ratio best / median | p95 ratio best / median | server CPU alone / under attack (median) | load average at start (1 min) |"
echo "|---|---|---|---|---|---|"
for mode in $MODES; do
    cat "$OUT/$mode"-[0-9]*.txt 2>/dev/null | grep -h 'summary:' | python3 -c '
import re, statistics, sys
mode = sys.argv[1]
rows = [dict(re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line)) for line in sys.stdin]
if not rows:
    sys.exit(0)
p50 = [float(r["p50x"]) for r in rows]
p95 = [float(r["p95x"]) for r in rows]
cpu = [tuple(float(x) for x in r["cpu"].split("/")) for r in rows]
loads = " ".join(r["load"].strip(chr(34)).split()[0] for r in rows)
med = statistics.median
alone, under = med([c[0] for c in cpu]), med([c[1] for c in cpu])
print(f"| {mode} | {len(rows)} | x{min(p50):.2f} / x{med(p50):.2f} | x{min(p95):.2f} / x{med(p95):.2f} "
      f"| {alone:.2f} / {under:.2f} s | {loads} |")
' "$mode"
done
echo "(target: at most x2; each run: bench/data/fairness/<set-up>-<run>.txt; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
