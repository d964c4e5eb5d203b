#!/usr/bin/env bash
# Regenerates the derived files of the Chicago city pack (geodata/chicago/) from the City of
# Chicago open data in ../shared/data/chicago, then checks the whole pack.
#
#   geodata/build-chicago.sh            # from anywhere
#   SHARED_DATA=/path/to/chicago geodata/build-chicago.sh
#
# Needs: ogr2ogr (gdal-bin), spatialite (spatialite-bin), python3 (standard library only).
# Writes: chicago/districts.geojson, chicago/service_area.geojson, chicago/streets.tsv,
#         chicago/demo/chicago311-2021-01-01.csv.  city.json and categories.json are
#         hand-written and only checked.  Same input, same bytes.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="${SHARED_DATA:-$here/../../shared/data/chicago}"
out="$here/chicago"
py="$here/citypack.py"

# Douglas-Peucker tolerance for the shared borders, metres in EPSG:26916 (see README.md).
TOLERANCE_M=15
# Holes of the outline smaller than this are simplification slivers and are dropped (1 ha).
MIN_HOLE_M2=10000
# The demo file keeps these columns of the 311 CSV, in this order, under their own names.
DEMO_COLUMNS=sr_number,sr_type,sr_short_code,status,origin,created_date,closed_date,street_address,duplicate,parent_sr_number,community_area,latitude,longitude
DEMO_CSV=demo/chicago311-2021-01-01.csv

for tool in ogr2ogr spatialite python3; do
    command -v "$tool" >/dev/null || { echo "build-chicago: $tool not found" >&2; exit 1; }
done
for f in community_areas.geojson chicago_311_2021-01-01_02.csv \
         streets/chicago-approx-street-segments-from-intersections.geojson.gz; do
    [ -r "$src/$f" ] || { echo "build-chicago: missing $src/$f" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/demo"

echo "== districts and service area (tolerance ${TOLERANCE_M} m)"
# 1. The 77 community areas into SpatiaLite, projected to UTM 16N (metres).
ogr2ogr -f SQLite -dsco SPATIALITE=YES -nln ca -nlt MULTIPOLYGON -t_srs EPSG:26916 \
    -select AREA_NUMBE,COMMUNITY "$tmp/ca.sqlite" "$src/community_areas.geojson"

# 2. Build a topology so that every border shared by two areas is one edge, generalize the
#    edges (Douglas-Peucker) and rebuild the areas from them: neighbours keep identical
#    borders, without gaps or overlaps. The outline is the union of the simplified areas.
spatialite -batch -bail "$tmp/ca.sqlite" >"$tmp/spatialite.log" <<SQL
SELECT CreateTopology('topo', 26916, 0, 0);
SELECT TopoGeo_FromGeoTable('topo', NULL, 'ca', 'geometry');
SELECT TopoGeo_ToGeoTableGeneralize('topo', NULL, 'ca', 'geometry', 'ca_s', ${TOLERANCE_M});
.headers off
.mode tabs
.output $tmp/districts.tsv
SELECT area_numbe, community, AsGeoJSON(ST_Transform(geometry, 4326), 15)
  FROM ca_s ORDER BY CAST(area_numbe AS INTEGER);
.output $tmp/outline.tsv
SELECT 'chicago', 'Chicago', AsGeoJSON(ST_Transform(ST_Union(geometry), 4326), 15) FROM ca_s;
.output stdout
SELECT 'source points', SUM(ST_NPoints(geometry)), 'simplified points',
       (SELECT SUM(ST_NPoints(geometry)) FROM ca_s),
       'max deviation m', (SELECT ROUND(MAX(ST_HausdorffDistance(s.geometry, o.geometry)), 1)
                             FROM ca_s s JOIN ca o ON o.area_numbe = s.area_numbe)
  FROM ca;
SQL
cat "$tmp/spatialite.log"

python3 "$py" polygons "$tmp/districts.tsv" "$out/districts.geojson" \
    --name-override "59=McKinley Park" --name-override "76=O'Hare"
python3 "$py" outline "$tmp/outline.tsv" "$out/service_area.geojson" \
    --name Chicago --min-hole-m2 "$MIN_HOLE_M2"

echo "== streets"
python3 "$py" streets "$src/streets/chicago-approx-street-segments-from-intersections.geojson.gz" \
    "$out/streets.tsv"

echo "== demo requests"
python3 "$py" demo "$src/chicago_311_2021-01-01_02.csv" "$out/$DEMO_CSV" --columns "$DEMO_COLUMNS" \
    --drop-column-value "sr_type=311 INFORMATION ONLY CALL"

echo "== checks"
# Geometry validity, and no overlaps between districts, by GEOS through GDAL's SQLite dialect.
. "$here/checks.sh"
sql_check "$out/districts.geojson" \
    "SELECT COUNT(*), SUM(ST_IsValid(geometry)) FROM districts" "77 77 "
sql_check "$out/districts.geojson" \
    "SELECT COUNT(*) FROM districts a, districts b WHERE a.rowid < b.rowid AND ST_Overlaps(a.geometry, b.geometry)" "0 "
sql_check "$out/service_area.geojson" \
    "SELECT COUNT(*), SUM(ST_IsValid(geometry)) FROM service_area" "1 1 "

# Structure, orientation, rounding, city.json bbox, 311 points inside, categories' sources
# (every sr_type must exist byte-exactly in the CSV), streets count and order, file sizes.
python3 "$py" check "$out" --csv "$src/chicago_311_2021-01-01_02.csv" \
    --min-inside 4980 --streets 43102 --demo "$DEMO_CSV" --demo-columns "$DEMO_COLUMNS" \
    --max-kb districts.geojson=400 --max-kb service_area.geojson=100 \
    --max-kb streets.tsv=6000 --max-kb "$DEMO_CSV=500"
