#!/usr/bin/env bash
# bench/region_vs_city.sh - the region pack beside the Chicago pack (issue 21):
# bench/run.sh on SQLite for both packs, same build, same N, alternating
# (Chicago, region, region, Chicago, ...) so that a change in the machine's
# load hits both alike; then one table of the medians with the ratio
# region / Chicago and the rows where the region is more than 10% worse.
#
#   bench/region_vs_city.sh [ROUNDS]        default 2 rounds (4 runs of bench/run.sh)
#   RVC_KEEP=1 bench/region_vs_city.sh 3    3 more rounds, the table over all of them
#
# Knobs: RVC_N (reports in each city, default 100000), RVC_REGION (default
# geodata/halle-vilvoorde), RVC_CITY (default geodata/chicago), RVC_ONLY
# (bench/run.sh scenarios, default "import reads grid stats ingest export";
# import is of the first RVC_IMPORT_N rows, default 20000, clustering on only), and
# bench/run.sh's own BENCH_DURATION / BENCH_INGEST_DURATION (default 5 / 10
# here). meldpunt's own figures only (BENCH_ANCHORS=0, BENCH_EXPORT_SH=0):
# the anchors do not depend on the pack. The first run of a pack generates
# its city (bench/gen_city.py --pack) and imports it (`meldpunt import
# --format labelled`), cached in bench/data/ like every bench/run.sh city.
# Output: bench/data/region-vs-city/ (each run's log, figures and table;
# table.md, the comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
N=${RVC_N:-100000}
REGION=${RVC_REGION:-geodata/halle-vilvoorde}
CITYPACK=${RVC_CITY:-geodata/chicago}
ONLY=${RVC_ONLY:-import reads grid stats ingest export}
IMPORT_N=${RVC_IMPORT_N:-20000}
OUT=bench/data/region-vs-city
mkdir -p "$OUT"
FIRST=1
if [ "${RVC_KEEP:-0}" = 1 ] && [ -s "$OUT/runs.tsv" ]; then
    FIRST=$(($(cut -f2 "$OUT/runs.tsv" | sort -n | tail -1) + 1))
else
    rm -f "$OUT"/*.tsv "$OUT"/*.log "$OUT"/*.md
    : >"$OUT/runs.tsv"
fi

one() { # tag pack round
    local tag=$1 pack=$2 r=$3 l0 l1
    l0=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "[$(date +%T)] round $r: $tag ($pack), load $l0" >&2
    BENCH_PACK=$pack BENCH_N=$N BENCH_ENGINE=sqlite BENCH_ANCHORS=0 BENCH_EXPORT_SH=0 \
        BENCH_ONLY=$ONLY BENCH_IMPORT_N=$IMPORT_N BENCH_IMPORT_MODES=on BENCH_DURATION=${BENCH_DURATION:-5} \
        BENCH_INGEST_DURATION=${BENCH_INGEST_DURATION:-10} \
        bench/run.sh >"$OUT/$tag-$r.log" 2>&1 || echo "bench/run.sh failed: $OUT/$tag-$r.log" >&2
    l1=$(cut -d' ' -f1-3 /proc/loadavg)
    cp bench/data/run/figures.tsv "$OUT/$tag-$r.tsv"
    cp bench/data/last-table.md "$OUT/$tag-$r.md" 2>/dev/null || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tag" "$r" "$(date +%T)" "$l0" "$l1" \
        "$(grep -m1 -o 'N=[0-9?]* reports / [0-9?]* clusters' "$OUT/$tag-$r.md" 2>/dev/null || echo ?)" \
        >>"$OUT/runs.tsv"
}
for r in $(seq "$FIRST" $((FIRST + ROUNDS - 1))); do
    if [ $((r % 2)) = 1 ]; then
        one chicago "$CITYPACK" "$r"
        one region "$REGION" "$r"
    else
        one region "$REGION" "$r"
        one chicago "$CITYPACK" "$r"
    fi
done

python3 - "$OUT" "$(git rev-parse --short HEAD)" "$REGION" "$N" "$IMPORT_N" >"$OUT/table.md" <<'EOF'
import collections, glob, os, statistics, sys
out, rev, region, n, imp_n = sys.argv[1:6]
fig = {"chicago": collections.defaultdict(list), "region": collections.defaultdict(list)}
units = {}
for path in sorted(glob.glob(os.path.join(out, "*-*.tsv"))):
    tag = os.path.basename(path).split("-")[0]
    if tag not in fig:
        continue
    for line in open(path, encoding="utf-8"):
        k, v, u = line.rstrip("\n").split("\t")
        fig[tag][k].append(float(v))
        units[k] = u
ROWS = [  # key, label, higher is better
    ("import_cache_rps", "import of the whole city into the cache (one run each, same build)", True),
    ("import_cache_cpu", "import into the cache, reports per CPU-second", True),
    ("import_rps", "import of the first %s rows into a new database, clustering on" % imp_n, True),
    ("import_cpu", "the same import, reports per CPU-second", True),
    ("ingest_rps", "ingest, 64 clients, durable, clustering on", True),
    ("ingest_writer_us", "ingest: writer thread CPU per report", False),
    ("ingest_server_us", "ingest: server CPU per report", False),
    ("ingest_refused_us", "ingest refused by validation (HTTP side alone): CPU each", False),
    ("read_cached_ms", "map read ~1,000 reports, same box (cache), 1 client: median", False),
    ("read_cached_cpu", "map read, same box: server CPU per request", False),
    ("read_walk_ms", "map read, new box every request (uncached): median", False),
    ("read_walk_cpu", "map read, uncached: server CPU per request", False),
    ("read_c64_rps", "map read, same box, 64 connections", True),
    ("grid_cached_ms", "grid, whole pack bbox, zoom 11 (cache): median", False),
    ("grid_cached_cpu", "grid, whole pack bbox (cache): server CPU per request", False),
    ("grid_walk_ms", "grid, box moved every request (uncached): median", False),
    ("grid_walk_cpu", "grid, uncached: server CPU per request", False),
    ("stats_category_ms", "stats 2 years by category, same URL: median", False),
    ("stats_category_cpu", "stats by category, same URL: server CPU", False),
    ("stats_category_walk_ms", "stats by category, new from-date: median", False),
    ("stats_category_walk_cpu", "stats by category, new from-date: server CPU", False),
    ("stats_district_ms", "stats by district/municipality, same URL: median", False),
    ("stats_district_cpu", "stats by district/municipality, same URL: server CPU", False),
    ("stats_district_walk_ms", "stats by district/municipality, new from-date: median", False),
    ("stats_district_walk_cpu", "stats by district/municipality, new from-date: server CPU", False),
    ("export_s", "export all reports as GeoJSON (CLI): wall", False),
    ("export_cpu", "export all reports as GeoJSON (CLI): CPU", False),
    ("memory_peak_mb", "server peak RSS after the reads", False),
]
def show(vals):
    if not vals:
        return "-"
    if min(vals) == max(vals):
        return "%.4g" % vals[0]
    return "%.4g (%.4g-%.4g)" % (statistics.median(vals), min(vals), max(vals))
print("meldpunt %s, SQLite, %s reports each: %s beside Chicago; median (min-max) of the runs, ratio of the medians"
      % (rev, n, os.path.basename(region.rstrip("/"))))
print()
for line in open(os.path.join(out, "runs.tsv"), encoding="utf-8"):
    tag, r, t, l0, l1, what = line.rstrip("\n").split("\t")
    print("- round %s %s, ended %s, load %s -> %s, %s" % (r, tag, t, l0, l1, what))
print()
print("| row | unit | Chicago | %s | region / Chicago | >10%% worse |" % os.path.basename(region.rstrip("/")))
print("|---|---|---|---|---|---|")
for k, label, up in ROWS:
    c, g = fig["chicago"].get(k, []), fig["region"].get(k, [])
    if not c and not g:
        continue
    ratio, worse = "-", "-"
    if c and g and statistics.median(c) > 0:
        q = statistics.median(g) / statistics.median(c)
        ratio = "%.2f" % q
        bad = (q < 1 / 1.1) if up else (q > 1.1)
        worse = "**yes**" if bad else "no"
    print("| %s | %s | %s | %s | %s | %s |" % (label, units.get(k, ""), show(c), show(g), ratio, worse))
EOF
cat "$OUT/table.md"
