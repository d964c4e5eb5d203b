#!/usr/bin/env bash
# Regenerates the derived files of the Halle-Vilvoorde region pack (geodata/halle-vilvoorde/)
# from the Belgian municipalities TopoJSON in ../shared/data/belgium, then checks the pack.
#
#   geodata/build-halle-vilvoorde.sh            # from anywhere
#   SHARED_DATA=/path/to/belgium geodata/build-halle-vilvoorde.sh
#   geodata/build-halle-vilvoorde.sh demo       # only the generated demo reports (not in git)
#
# Needs: ogr2ogr and ogrinfo (gdal-bin, with SpatiaLite in its SQLite dialect), python3.
# Writes: city.json (from the hand-written region.json), districts.geojson,
#         service_area.geojson, members/<slug>/{districts,service_area}.geojson, and
#         members/<slug>/city.json where missing (then hand-edited: overrides live there).
#         categories.json, automation.json and members' categories.json are hand-written.
# Same input, same bytes.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="${SHARED_DATA:-$here/../../shared/data/belgium}"
out="$here/halle-vilvoorde"
py="$here/regionpack.py"
ARR_NIS=23000
DEMO_CSV="$out/demo/halle-vilvoorde-2025.csv"

if [ "${1:-}" = demo ]; then
    python3 "$py" demo "$out" "$DEMO_CSV"
    exit 0
fi

for tool in ogr2ogr ogrinfo python3; do
    command -v "$tool" >/dev/null || { echo "build-halle-vilvoorde: $tool not found" >&2; exit 1; }
done
[ -r "$src/municipalities_2019.topojson" ] ||
    { echo "build-halle-vilvoorde: missing $src/municipalities_2019.topojson" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== municipalities of arrondissement $ARR_NIS"
# The TopoJSON is already quantised to 20-30 m and its arcs are shared, so neighbours have
# identical borders: no simplification, no topology step; rounding to 6 decimals keeps them so.
ogr2ogr -f GeoJSON -lco COORDINATE_PRECISION=15 -makevalid -where "arr_nis = '$ARR_NIS'" \
    -select nis,name_nl,name_fr,population -nln m "$tmp/m.geojson" \
    "$src/municipalities_2019.topojson" municipalities
# -makevalid: Asse's ring touches itself in the source (4.28128 50.866059), GEOS splits it.
# The outline: GEOS union through GDAL's SQLite dialect (SpatiaLite functions).
ogr2ogr -f GeoJSON -lco COORDINATE_PRECISION=15 -dialect SQLite \
    -sql "SELECT ST_Union(geometry) AS geometry FROM m" "$tmp/union.geojson" "$tmp/m.geojson"
ogrinfo -ro -q -dialect SQLite -sql "SELECT COUNT(*) AS municipalities, SUM(population) AS people,
    CAST(ROUND(SUM(ST_Area(ST_Transform(geometry, 31370))) / 1e6) AS INTEGER) AS km2 FROM m" \
    "$tmp/m.geojson" | sed -n 's/^  //p'

python3 "$py" members "$out" "$tmp/m.geojson" "$tmp/union.geojson"
python3 "$py" cityjson "$out"

echo "== checks"
. "$here/checks.sh"
sql_check "$out/districts.geojson" \
    "SELECT COUNT(*), SUM(ST_IsValid(geometry)) FROM districts" "35 35 "
sql_check "$out/districts.geojson" \
    "SELECT COUNT(*) FROM districts a, districts b WHERE a.rowid < b.rowid AND ST_Overlaps(a.geometry, b.geometry)" "0 "
sql_check "$out/service_area.geojson" \
    "SELECT COUNT(*), SUM(ST_IsValid(geometry)) FROM service_area" "1 1 "
python3 "$py" check "$out" --members 35
