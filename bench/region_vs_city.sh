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
# RVC_STATS_REQS (default 3: bench/run.sh's BENCH_STATS_REQS, the stats
# rows timed over that many requests each, one after the other, so that the
# CPU per request is exact when one takes seconds), RVC_GRID_VIEW (default
# 1280x720@12: bench/run.sh's BENCH_GRID_VIEW, the grid as a map client asks
# it, the same window in pixels at the same zoom for both packs; the
# whole-bbox grid rows ask the region for more cells), RVC_OUT (the output
# folder, default bench/data/region-vs-city).
# Prebuilt databases: RVC_CITY_DB and RVC_REGION_DB name an imported
# database each (e.g. RVC_CITY_DB=/work/pgbench/bench/data/city-1000000.sqlite);
# when bench/data/ has no database of that pack and N yet, it is copied there
# (`sqlite3 -readonly SRC .backup`: the source is never written), with the
# CSV beside it (SRC's .csv, needed by the import and ingest scenarios) and,
# if they exist, its import log (import-KEY.log, the import-into-the-cache
# row: it tells the build and load of that import, not of this run) and
# bbox-KEY.txt. The server migrates the copy's schema when it opens it.
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
GRID_VIEW=${RVC_GRID_VIEW:-1280x720@12}
OUT=${RVC_OUT:-bench/data/region-vs-city}
mkdir -p "$OUT"

adopt() { # src-db pack: copy a prebuilt database into bench/run.sh's cache name
    local src=$1 pack=$2 key dir
    [ -n "$src" ] || return 0
    [ -s "$src" ] || { echo "region_vs_city: no database $src" >&2; exit 2; }
    if [ "$(realpath "$pack")" = "$(realpath geodata/chicago)" ]; then key=$N; else key=$(basename "$pack")-$N; fi
    [ -s "bench/data/city-$key.sqlite" ] && return 0
    dir=$(dirname "$src")
    mkdir -p bench/data
    echo "region_vs_city: copying $src to bench/data/city-$key.sqlite" >&2
    [ -s "bench/data/city-$key.csv" ] || cp "${src%.sqlite}.csv" "bench/data/city-$key.csv"
    for f in "import-$key.log" "bbox-$key.txt"; do
        [ -s "$dir/$f" ] && [ ! -s "bench/data/$f" ] && cp -p "$dir/$f" "bench/data/$f"
    done
    sqlite3 -readonly "$src" ".backup bench/data/city-$key.sqlite.tmp"
    mv "bench/data/city-$key.sqlite.tmp" "bench/data/city-$key.sqlite"
}
adopt "${RVC_CITY_DB:-}" "$CITYPACK"
adopt "${RVC_REGION_DB:-}" "$REGION"
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
        BENCH_INGEST_DURATION=${BENCH_INGEST_DURATION:-10} BENCH_GRID_VIEW=$GRID_VIEW \
        BENCH_STATS_REQS=${RVC_STATS_REQS:-3} \
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

: "${RVC_COMMAND:=$(env | grep -E '^(RVC_[A-Z_]+|BENCH_DURATION|BENCH_INGEST_DURATION)=' | grep -v '^RVC_COMMAND=' |
    sort | tr '\n' ' ')bench/region_vs_city.sh $ROUNDS}"
export RVC_COMMAND
REV=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- server include CMakeLists.txt bench/*.sh bench/*.py bench/*.lua || REV="$REV+dirty"
python3 - "$OUT" "$REV" "$REGION" "$N" "$IMPORT_N" "$GRID_VIEW" >"$OUT/table.md" <<'EOF'
import collections, glob, os, statistics, sys
out, rev, region, n, imp_n, view = sys.argv[1:7]
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
    # Per cell: the grid answers' CPU over the cells they hold (same run).
    f = dict((line.split("\t")[0], float(line.split("\t")[1])) for line in open(path, encoding="utf-8"))
    for cpu, cells, key in (("grid_cached_cpu", "grid_cells", "grid_cached_cell_us"),
                            ("grid_walk_cpu", "grid_cells", "grid_walk_cell_us"),
                            ("grid_view_cached_cpu", "grid_view_cells", "grid_view_cached_cell_us"),
                            ("grid_view_walk_cpu", "grid_view_cells", "grid_view_walk_cell_us")):
        if f.get(cpu) is not None and f.get(cells):
            fig[tag][key].append(f[cpu] * 1000 / f[cells])
            units[key] = "us CPU/cell"
ROWS = [  # key, label, higher is better
    ("import_cache_rps", "import of the whole city into the cache (one run each; build and time in its import log)", True),
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
    ("grid_view_cells", "grid, %s map window: cells in the answer (the work asked)" % view, None),
    ("grid_view_clusters", "grid, %s map window: clusters in the cells" % view, None),
    ("grid_view_cached_ms", "grid, %s map window (cache): median" % view, False),
    ("grid_view_cached_cpu", "grid, %s map window (cache): server CPU per request" % view, False),
    ("grid_view_walk_ms", "grid, %s map window moved every request (uncached): median" % view, False),
    ("grid_view_walk_cpu", "grid, %s map window, uncached: server CPU per request" % view, False),
    ("grid_view_cached_cell_us", "grid, %s map window (cache): server CPU per cell" % view, False),
    ("grid_view_walk_cell_us", "grid, %s map window, uncached: server CPU per cell" % view, False),
    ("grid_cells", "grid, whole pack bbox, zoom 11: cells in the answer (not the same work)", None),
    ("grid_cached_ms", "grid, whole pack bbox, zoom 11 (cache): median", False),
    ("grid_cached_cpu", "grid, whole pack bbox (cache): server CPU per request", False),
    ("grid_cached_cell_us", "grid, whole pack bbox (cache): server CPU per cell", False),
    ("grid_walk_ms", "grid, whole bbox moved every request (uncached): median", False),
    ("grid_walk_cpu", "grid, whole bbox, uncached: server CPU per request", False),
    ("grid_walk_cell_us", "grid, whole bbox, uncached: server CPU per cell", False),
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
print("command: %s" % os.environ.get("RVC_COMMAND", "bench/region_vs_city.sh"))
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
        if up is None:
            worse = "(size)"
        else:
            bad = (q < 1 / 1.1) if up else (q > 1.1)
            worse = "**yes**" if bad else "no"
    print("| %s | %s | %s | %s | %s | %s |" % (label, units.get(k, ""), show(c), show(g), ratio, worse))
EOF
cat "$OUT/table.md"
