#!/usr/bin/env bash
# Export benchmark (issue 6): `meldpunt export --format geojson` against `ogr2ogr -f GeoJSON`
# reading the same SpatiaLite reports table, 1,000,000 reports, time and peak memory
# (maximum resident set size from GNU time) side by side; plus the other formats, a filtered
# subset (memory must not depend on the row count) and the HTTP endpoint.
#
# Usage: bench/export.sh [ROWS]        (default 1000000)
# Env:   BENCH_DATA (default bench/data), BUILD (default build-bench-export), BASE_ROWS
#
# Called by bench/run.sh (issue 9) with BENCH_BIN, BENCH_DB, BENCH_CITY, BENCH_RUN and
# BENCH_PORT set, it measures that binary on that database instead of building its own, and
# also prints its rows as "ROW<TAB>scenario<TAB>meldpunt<TAB>anchor<TAB>target<TAB>met".
#
# The database is built once and cached as $BENCH_DATA/export-ROWS.sqlite: 100,000 synthetic
# 311 requests (bench/gen_reports.py) go through `meldpunt import` - validation, districts,
# duplicate folding, as real data would - and are then copied in SQL, shifted in time and by a
# metre per copy, up to ROWS reports (importing a million rows one by one takes most of an hour
# on this machine; the export does not care how the rows came in). The copies get report_map
# rows (a box export finds reports through it since schema 15; their packed records are the
# originals', unshifted) but no grid_cells: fine for the export, which reads reports, not for a
# map benchmark on this file.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
BASE=${BASE_ROWS:-100000}
DATA=${BENCH_DATA:-bench/data}
BUILD=${BUILD:-build-bench-export}
DB="$DATA/export-$ROWS.sqlite"
BIN="$BUILD/meldpunt"
CITY=${BENCH_CITY:-geodata/chicago}
if [ -n "${BENCH_DB:-}" ]; then
  DB=$BENCH_DB
  BIN=${BENCH_BIN:?BENCH_BIN must name the binary when BENCH_DB is set}
fi
mkdir -p "$DATA"

need() { command -v "$1" >/dev/null 2>&1 || { echo "export.sh: $1 is missing ($2)" >&2; exit 1; }; }
if [ ! -x /usr/bin/time ]; then
  echo "export.sh: installing GNU time" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
need ogr2ogr "apt-get install gdal-bin"
need sqlite3 "apt-get install sqlite3"
need python3 "apt-get install python3"

if [ -z "${BENCH_DB:-}" ] && { [ ! -x "$BIN" ] || [ -n "$(find server include -newer "$BIN" -name '*.[ch]' | head -1)" ]; }; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DMELDPUNT_WERROR=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target meldpunt >/dev/null
fi

# ---- the database ----
if [ ! -f "$DB" ]; then
  tmp="$DB.tmp"
  rm -f "$tmp" "$tmp-wal" "$tmp-shm"
  echo "building $DB: $BASE generated requests through meldpunt import" >&2
  python3 bench/gen_reports.py --rows "$BASE" > "$DATA/export-base.csv"
  "$BIN" import --db "$tmp" --format chicago311 "$DATA/export-base.csv" >&2
  rm -f "$DATA/export-base.csv"
  R=$(sqlite3 "$tmp" 'SELECT max(id) FROM reports')
  C=$(sqlite3 "$tmp" 'SELECT max(id) FROM clusters')
  n=$(sqlite3 "$tmp" 'SELECT count(*) FROM reports')
  # Column lists from the schema as it is, so the copy follows schema changes.
  cols() { sqlite3 "$tmp" "SELECT name FROM pragma_table_info('$1')"; }
  expr_for() { # table column copy
    local t=$1 c=$2 k=$3 shift=$((k * 730 * 86400))
    case "$t.$c" in
      *.id) echo "id + $k * $([ "$t" = reports ] && echo "$R" || echo "$C")" ;;
      reports.cluster_id) echo "cluster_id + $k * $C" ;;
      *.lon) echo "lon + $k * 0.00001" ;;
      *.x) echo "x + $k * 0.83" ;;
      clusters.sum_x) echo "sum_x + $k * 0.83 * report_count" ;;
      *.geom) echo "MakePoint(lon + $k * 0.00001, lat, 4326)" ;;
      *.created_at | *.updated_at | *.first_at | *.last_at) echo "$c - $shift" ;;
      clusters.fixed_at) echo "CASE WHEN fixed_at > 0 THEN fixed_at - $shift ELSE 0 END" ;;
      reports.external_id) echo "external_id || '-c$k'" ;;
      *) echo "$c" ;;
    esac
  }
  k=1
  while [ "$n" -lt "$ROWS" ]; do
    left=$((ROWS - n))
    rc=$(cols reports | paste -sd,)
    cc=$(cols clusters | paste -sd,)
    re=$(for c in $(cols reports); do expr_for reports "$c" "$k"; done | paste -sd,)
    ce=$(for c in $(cols clusters); do expr_for clusters "$c" "$k"; done | paste -sd,)
    sqlite3 "$tmp" >/dev/null <<SQL
.load mod_spatialite
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO clusters ($cc) SELECT $ce FROM clusters WHERE id <= $C;
INSERT INTO reports ($rc) SELECT $re FROM reports WHERE id <= $R ORDER BY id LIMIT $left;
INSERT INTO report_map SELECT strip, lon + $k * 0.00001, id + $k * $R, lat, category, status,
  district, created_at - $((k * 730 * 86400)), cluster_id + $k * $C, cluster_count, rec
  FROM report_map WHERE id <= $R ORDER BY id LIMIT $left;
COMMIT;
SQL
    n=$(sqlite3 "$tmp" 'SELECT count(*) FROM reports')
    echo "  copy $k: $n reports" >&2
    k=$((k + 1))
  done
  sqlite3 "$tmp" 'PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;' >/dev/null
  mv "$tmp" "$DB"
  rm -f "$tmp-wal" "$tmp-shm"
fi

# ---- runs ----
OUT=$(mktemp -d "${BENCH_RUN:-$DATA}/export-run.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
rows=$(sqlite3 "$DB" 'SELECT count(*) FROM reports')
cat "$DB" > /dev/null # the same warm page cache for every tool

results=()
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# run NAME OUTFILE COUNT_CMD -- COMMAND...: time it, then count the features written.
run() {
  local name=$1 out=$2 counter=$3
  shift 4
  /usr/bin/time -v -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" ||
    { cat "$OUT/stderr.txt" >&2; echo "export.sh: $name failed" >&2; exit 1; }
  local secs rss size count cpu
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
           for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$OUT/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$OUT/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$OUT/time.txt")
  size=$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.0f", b / 1048576 }')
  count=$($counter "$out")
  results+=("$(printf '%-44s %10s %9s %8s %12s %9s' "$name" "$count" "$secs" "$cpu" "$rss" "$size")")
  LAST_CPU=$cpu LAST_SECS=$secs LAST_RSS=$rss LAST_COUNT=$count
  rm -f "$out"
}
features() { grep -c '"type": *"Feature"' "$1" || true; }
records() { tr -cd '\036' < "$1" | wc -c; }
csvrows() { echo $(($(wc -l < "$1") - 1)); }

X=("$BIN" export --db "$DB" --city "$CITY")
run "meldpunt export --format geojson" "$OUT/m.geojson" features -- \
  "${X[@]}" --format geojson --output "$OUT/m.geojson"
m_secs=$LAST_SECS m_rss=$LAST_RSS m_cpu=$LAST_CPU
run "ogr2ogr -f GeoJSON (whole table)" "$OUT/o.geojson" features -- \
  ogr2ogr -f GeoJSON "$OUT/o.geojson" "$DB" reports
o_secs=$LAST_SECS o_rss=$LAST_RSS o_cpu=$LAST_CPU
run "ogr2ogr -f GeoJSON (-select public columns)" "$OUT/o2.geojson" features -- \
  ogr2ogr -f GeoJSON -select category,status,created_at,updated_at,district,location,address,description \
  "$OUT/o2.geojson" "$DB" reports
os_secs=$LAST_SECS os_rss=$LAST_RSS
run "meldpunt export --format geojsonseq" "$OUT/m.geojsons" records -- \
  "${X[@]}" --format geojsonseq --output "$OUT/m.geojsons"
run "meldpunt export --format csv" "$OUT/m.csv" csvrows -- \
  "${X[@]}" --format csv --output "$OUT/m.csv"
c_secs=$LAST_SECS c_rss=$LAST_RSS
run "meldpunt export --format geojson --internal" "$OUT/mi.geojson" features -- \
  "${X[@]}" --format geojson --internal --output "$OUT/mi.geojson"
run "meldpunt export geojson, 1 category (subset)" "$OUT/ms.geojson" features -- \
  "${X[@]}" --format geojson --category pothole --output "$OUT/ms.geojson"
s_rss=$LAST_RSS s_count=$LAST_COUNT

# The HTTP endpoint: the server's peak resident size before and after a full download.
port=${BENCH_PORT:-$((20000 + RANDOM % 20000))}
"$BIN" serve --db "$DB" --city "$CITY" --listen "127.0.0.1:$port" --threads 2 >"$OUT/serve.log" 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q listening "$OUT/serve.log" && break; sleep 0.1; done
curl -s "http://127.0.0.1:$port/healthz" >/dev/null
hwm() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$spid/status"; }
before=$(hwm)
t0=$(date +%s.%N)
curl -s -o "$OUT/h.geojson" "http://127.0.0.1:$port/api/v1/export?format=geojson"
t1=$(date +%s.%N)
after=$(hwm)
hcount=$(features "$OUT/h.geojson")
hsize=$(awk -v b="$(stat -c %s "$OUT/h.geojson")" 'BEGIN { printf "%.0f", b / 1048576 }')
kill "$spid"
wait "$spid" 2>/dev/null || true
results+=("$(printf '%-44s %10s %9.2f %8s %12s %9s' "GET /api/v1/export?format=geojson (server)" \
  "$hcount" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "-" "$before→$after" "$hsize")")

echo
echo "Export of $rows reports ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "load average before/after: $LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %9s %8s %12s %9s\n' "tool" "features" "seconds" "CPU s" "peak RSS MB" "output MB"
printf '%s\n' "${results[@]}"

if [ -n "${BENCH_RUN:-}" ]; then
  faster=$(awk -v a="$m_secs" -v b="$o_secs" -v r="$m_rss" 'BEGIN { print (a < b && r < 64) ? "yes" : "NO" }')
  flat=$(awk -v r="$s_rss" 'BEGIN { print (r < 64) ? "yes" : "NO" }')
  printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "export $rows reports as GeoJSON" "$m_secs s ($m_cpu s CPU), peak RSS $m_rss MB" \
    "ogr2ogr $o_secs s ($o_cpu s CPU), $o_rss MB (public columns only: $os_secs s, $os_rss MB)" \
    "faster than ogr2ogr, < 64 MB" "$faster"
  printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "export as CSV" "$c_secs s, peak RSS $c_rss MB" "-" "< 64 MB" \
    "$(awk -v r="$c_rss" 'BEGIN { print (r < 64) ? "yes" : "NO" }')"
  printf 'ROW\t%s\t%s\t%s\t%s\t%s\n' "export memory, $s_count of $rows rows" "peak RSS $s_rss MB" \
    "all rows: $m_rss MB" "flat, < 64 MB" "$flat"
fi
