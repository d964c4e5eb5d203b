#!/usr/bin/env python3
"""Helpers that build and check a meldpunt city pack (python3 standard library only).

Called by geodata/build-<city>.sh; see geodata/README.md for the pack format.

  citypack.py polygons  IN.tsv OUT.geojson [--name-override CODE=NAME ...]
  citypack.py outline   IN.tsv OUT.geojson --name NAME [--min-hole-m2 A]
  citypack.py streets   IN.geojson[.gz] OUT.tsv
  citypack.py demo      IN.csv OUT.csv --columns a,b,... [--drop-column-value COL=VALUE ...]
  citypack.py check     PACK_DIR --csv SOURCE.csv [--min-inside N] [--max-kb FILE=KB ...]

IN.tsv for polygons/outline holds one line per feature: code, name, GeoJSON geometry in
WGS84 (full precision), tab separated, as written by the spatialite step of the build script.
Everything written is deterministic: same input, same bytes.
"""

import argparse
import csv
import gzip
import io
import json
import math
import os
import sys

DECIMALS = 6          # polygons: 1e-6 deg = 0.11 m
STREET_DECIMALS = 5   # streets: 1e-5 deg = 1.1 m
EARTH_R = 6371008.8   # mean earth radius, m


def die(msg):
    sys.stderr.write("citypack: error: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- rings and polygons

def ring_signed_area(ring):
    """Shoelace sum in the ring's own units; > 0 means counter-clockwise (lon east, lat north)."""
    s = 0.0
    for i in range(len(ring) - 1):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        s += x1 * y2 - x2 * y1
    return s / 2.0


def ring_area_m2(ring):
    """Area of a lon/lat ring in m2 (local equirectangular projection; fine for city-sized rings)."""
    lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
    k = math.radians(1.0) * EARTH_R
    pts = [(p[0] * k * math.cos(lat0), p[1] * k) for p in ring]
    return abs(ring_signed_area(pts))


def clean_ring(ring, outer):
    """Round, drop repeated points, close, orient (outer CCW, holes CW). None if degenerate."""
    out = []
    for x, y in ring:
        p = [round(x, DECIMALS), round(y, DECIMALS)]
        if out and out[-1] == p:
            continue
        out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3:
        return None
    out.append(list(out[0]))
    a = ring_signed_area(out)
    if a == 0.0:
        return None
    if (a > 0) != outer:
        out.reverse()
    return out


def clean_polygons(geom, min_hole_m2=0.0, stats=None):
    """GeoJSON Polygon/MultiPolygon -> list of cleaned polygons (list of rings)."""
    if geom["type"] == "Polygon":
        polys = [geom["coordinates"]]
    elif geom["type"] == "MultiPolygon":
        polys = geom["coordinates"]
    else:
        die("unexpected geometry type %s" % geom["type"])
    result = []
    for poly in polys:
        outer = clean_ring(poly[0], True)
        if outer is None:
            die("outer ring collapsed after rounding")
        rings = [outer]
        for hole in poly[1:]:
            h = clean_ring(hole, False)
            if h is None:
                continue
            area = ring_area_m2(h)
            if area < min_hole_m2:
                if stats is not None:
                    stats.append(area)
                continue
            rings.append(h)
        result.append(rings)
    return result


def geometry_json(polys):
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": polys[0]}
    return {"type": "MultiPolygon", "coordinates": polys}


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write_feature_collection(path, features):
    """One feature per line: small diffs when the data changes."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        f.write(",\n".join(dumps(ft) for ft in features))
        f.write("\n]}\n")


def read_tsv_geometries(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                die("%s: expected 3 tab-separated fields, got %d" % (path, len(parts)))
            rows.append((parts[0], parts[1], json.loads(parts[2])))
    return rows


def title_case(name):
    words = []
    for w in name.strip().split():
        w = w.lower()
        w = "-".join(p[:1].upper() + p[1:] for p in w.split("-"))
        if w.startswith("Mc") and len(w) > 2:
            w = "Mc" + w[2].upper() + w[3:]
        words.append(w)
    return " ".join(words)


def cmd_polygons(a):
    overrides = {}
    for o in a.name_override or []:
        code, _, name = o.partition("=")
        overrides[code] = name
    feats = []
    for code, name, geom in read_tsv_geometries(a.input):
        code = str(int(float(code)))
        feats.append({"type": "Feature",
                      "properties": {"code": code, "name": overrides.get(code, title_case(name))},
                      "geometry": geometry_json(clean_polygons(geom))})
    feats.sort(key=lambda f: int(f["properties"]["code"]))
    codes = [f["properties"]["code"] for f in feats]
    if len(set(codes)) != len(codes):
        die("duplicate district codes")
    write_feature_collection(a.output, feats)
    print("polygons: %d features -> %s" % (len(feats), a.output))


def cmd_outline(a):
    rows = read_tsv_geometries(a.input)
    if len(rows) != 1:
        die("outline: expected one geometry, got %d" % len(rows))
    dropped = []
    polys = clean_polygons(rows[0][2], a.min_hole_m2, dropped)
    geom = {"type": "MultiPolygon", "coordinates": polys}  # always MultiPolygon
    write_feature_collection(a.output, [{"type": "Feature", "properties": {"name": a.name},
                                         "geometry": geom}])
    holes = sum(len(p) - 1 for p in polys)
    print("outline: %d polygons, %d holes kept, %d holes < %.0f m2 dropped %s -> %s"
          % (len(polys), holes, len(dropped), a.min_hole_m2,
             [round(x) for x in dropped], a.output))


# ---------------------------------------------------------------- streets

def open_maybe_gz(path):
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def cmd_streets(a):
    with open_maybe_gz(a.input) as f:
        fc = json.load(f)
    rows = []
    unnamed = 0
    for ft in fc["features"]:
        p = ft["properties"]
        street = (p.get("street") or "").strip()
        if not street:
            unnamed += 1
            continue
        g = ft["geometry"]
        if g["type"] != "LineString":
            die("streets: unexpected geometry %s" % g["type"])
        coords = []
        for x, y in g["coordinates"]:
            c = (round(x, STREET_DECIMALS), round(y, STREET_DECIMALS))
            if not coords or coords[-1] != c:
                coords.append(c)
        if len(coords) < 2:
            die("streets: degenerate segment on %s" % street)
        fields = [street, (p.get("from_cross") or "").strip(), (p.get("to_cross") or "").strip()]
        for s in fields:
            if "\t" in s or "\n" in s:
                die("streets: tab or newline in a name: %r" % s)
        rows.append((fields, coords))
    rows.sort(key=lambda r: (r[0][0], r[1][0], r[0][1], r[0][2], r[1]))
    fmt = "%%.%df %%.%df" % (STREET_DECIMALS, STREET_DECIMALS)
    with open(a.output, "w", encoding="utf-8", newline="\n") as f:
        f.write("street\tfrom_cross\tto_cross\tcoords\n")
        for fields, coords in rows:
            f.write("\t".join(fields) + "\t" + ",".join(fmt % c for c in coords) + "\n")
    print("streets: %d segments (%d unnamed skipped) -> %s" % (len(rows), unnamed, a.output))


# ---------------------------------------------------------------- demo csv

def cmd_demo(a):
    cols = a.columns.split(",")
    drops = []
    for d in a.drop_column_value or []:
        col, _, val = d.partition("=")
        drops.append((col, val))
    kept = skipped = 0
    with open(a.input, encoding="utf-8", newline="") as fi, \
            open(a.output, "w", encoding="utf-8", newline="") as fo:
        r = csv.DictReader(fi)
        missing = [c for c in cols + [d[0] for d in drops] if c not in r.fieldnames]
        if missing:
            die("demo: columns not in %s: %s" % (a.input, missing))
        w = csv.writer(fo, lineterminator="\r\n")  # RFC 4180
        w.writerow(cols)
        for row in r:
            if any(row[c] == v for c, v in drops):
                skipped += 1
                continue
            w.writerow([row[c] for c in cols])
            kept += 1
    print("demo: %d rows kept, %d dropped -> %s" % (kept, skipped, a.output))


# ---------------------------------------------------------------- checks

def point_in_rings(x, y, rings):
    inside = False
    for ring in rings:
        j = len(ring) - 1
        for i in range(len(ring)):
            xi, yi = ring[i]
            xj, yj = ring[j]
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
    return inside


class Area:
    def __init__(self, geom):
        self.polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        xs = [p[0] for poly in self.polys for p in poly[0]]
        ys = [p[1] for poly in self.polys for p in poly[0]]
        self.bbox = (min(xs), min(ys), max(xs), max(ys))

    def contains(self, x, y):
        b = self.bbox
        if x < b[0] or x > b[2] or y < b[1] or y > b[3]:
            return False
        return any(point_in_rings(x, y, poly) for poly in self.polys)


def check_ring(ring, outer, where, errors):
    if len(ring) < 4:
        errors.append("%s: ring with %d points" % (where, len(ring)))
    if ring[0] != ring[-1]:
        errors.append("%s: ring not closed" % where)
    for i in range(len(ring) - 1):
        if ring[i] == ring[i + 1]:
            errors.append("%s: repeated point %s" % (where, ring[i]))
            break
    for p in ring:
        if len(p) != 2 or any(round(v, DECIMALS) != v for v in p):
            errors.append("%s: coordinate %s not rounded to %d decimals" % (where, p, DECIMALS))
            break
        if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            errors.append("%s: coordinate out of range %s" % (where, p))
            break
    a = ring_signed_area(ring)
    if outer and a <= 0:
        errors.append("%s: outer ring not counter-clockwise" % where)
    if not outer and a >= 0:
        errors.append("%s: hole not clockwise" % where)


def check_geometry(geom, where, errors):
    if geom["type"] not in ("Polygon", "MultiPolygon"):
        errors.append("%s: geometry type %s" % (where, geom["type"]))
        return
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    for pi, poly in enumerate(polys):
        for ri, ring in enumerate(poly):
            check_ring(ring, ri == 0, "%s polygon %d ring %d" % (where, pi, ri), errors)


def load_json(path, errors):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        errors.append("%s: %s" % (path, e))
        return None


def check_categories(cats, sr_types, errors):
    ints = ("radius_m", "along_m", "window_days", "fixed_absorb_days", "service_days", "priority")
    keys = {"code", "name", "description", "group", "keywords", "department", "rule",
            "sources", "attributes"} | set(ints)
    optional = {"address_span", "address_side", "followup_days"}
    datatypes = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
    seen_codes, seen_sources = set(), {}
    for c in cats:
        code = c.get("code", "?")
        w = "categories.json %s" % code
        if not keys <= set(c) <= keys | optional:
            errors.append("%s: keys differ: missing %s, extra %s"
                          % (w, sorted(keys - set(c)), sorted(set(c) - keys - optional)))
            continue
        if not code.isascii() or not code.replace("_", "").isalnum() or code != code.lower():
            errors.append("%s: code not snake_case ascii" % w)
        if code in seen_codes:
            errors.append("%s: duplicate code" % w)
        seen_codes.add(code)
        for k in ("name", "description"):
            if set(c[k]) != {"en", "nl"} or not all(isinstance(v, str) and v for v in c[k].values()):
                errors.append("%s: %s needs non-empty en and nl" % (w, k))
        for k in ints:
            if not isinstance(c[k], int) or isinstance(c[k], bool) or c[k] < 0:
                errors.append("%s: %s must be a non-negative integer" % (w, k))
        follow = c.get("followup_days", 0)
        if not isinstance(follow, int) or isinstance(follow, bool) or not 0 <= follow <= 365:
            errors.append("%s: followup_days must be an integer 0-365" % w)
        span, side = c.get("address_span", 0), c.get("address_side", False)
        if not isinstance(span, int) or isinstance(span, bool) or span < 0 or not isinstance(side, bool):
            errors.append("%s: address_span must be a non-negative integer, address_side a boolean" % w)
        if c["rule"] not in ("point", "street", "address"):
            errors.append("%s: rule must be point, street or address" % w)
        elif c["rule"] == "point" and c["along_m"] != 0:
            errors.append("%s: point rule needs along_m 0" % w)
        elif c["rule"] != "point" and c["along_m"] <= 0:
            errors.append("%s: %s rule needs along_m > 0" % (w, c["rule"]))
        if c["radius_m"] <= 0 or c["window_days"] <= 0 or c["service_days"] <= 0:
            errors.append("%s: radius_m, window_days, service_days must be > 0" % w)
        if c["priority"] not in (1, 2, 3):
            errors.append("%s: priority must be 1, 2 or 3" % w)
        if not isinstance(c["keywords"], list) or not all(isinstance(k, str) and k for k in c["keywords"]):
            errors.append("%s: keywords must be a list of strings" % w)
        elif len(set(c["keywords"])) != len(c["keywords"]):
            errors.append("%s: repeated keyword" % w)
        for src, types in c["sources"].items():
            for t in types:
                if t not in sr_types:
                    errors.append("%s: sources.%s %r is not an sr_type of the CSV" % (w, src, t))
                if (src, t) in seen_sources:
                    errors.append("%s: sources.%s %r also mapped by %s"
                                  % (w, src, t, seen_sources[(src, t)]))
                seen_sources[(src, t)] = code
        acodes = set()
        for i, at in enumerate(c["attributes"]):
            aw = "%s attribute %d" % (w, i)
            need = {"variable", "code", "datatype", "required", "order", "description"}
            if not need <= set(at):
                errors.append("%s: missing %s" % (aw, sorted(need - set(at))))
                continue
            if at["code"] in acodes:
                errors.append("%s: duplicate code" % aw)
            acodes.add(at["code"])
            if at["datatype"] not in datatypes:
                errors.append("%s: datatype %s" % (aw, at["datatype"]))
            if at["order"] != i + 1:
                errors.append("%s: order must be %d" % (aw, i + 1))
            if set(at["description"]) != {"en", "nl"}:
                errors.append("%s: description needs en and nl" % aw)
            lists = at["datatype"] in ("singlevaluelist", "multivaluelist")
            if lists != ("values" in at):
                errors.append("%s: values only and always for list datatypes" % aw)
            for v in at.get("values", []):
                if set(v) != {"key", "name"} or set(v["name"]) != {"en", "nl"}:
                    errors.append("%s: value %r needs key and name.en/.nl" % (aw, v))
    return seen_sources


def cmd_check(a):
    errors = []
    pack = a.pack
    figures = []

    # districts
    districts = load_json(os.path.join(pack, "districts.geojson"), errors)
    dist_areas = {}
    if districts:
        if districts.get("type") != "FeatureCollection" or "crs" in districts:
            errors.append("districts.geojson: not an RFC 7946 FeatureCollection")
        codes = []
        for ft in districts["features"]:
            p = ft["properties"]
            if set(p) != {"code", "name"} or not isinstance(p["code"], str):
                errors.append("districts.geojson: properties %r" % p)
                continue
            codes.append(int(p["code"]))
            check_geometry(ft["geometry"], "district %s" % p["code"], errors)
            dist_areas[p["code"]] = Area(ft["geometry"])
        if codes != sorted(codes):
            errors.append("districts.geojson: features not sorted by code")
        figures.append("districts: %d features, %d points" % (
            len(codes), sum(len(r) for ft in districts["features"] for r in rings_of(ft["geometry"]))))

    # service area
    sa = load_json(os.path.join(pack, "service_area.geojson"), errors)
    area = None
    if sa:
        fs = sa.get("features", [])
        if len(fs) != 1 or fs[0]["geometry"]["type"] != "MultiPolygon":
            errors.append("service_area.geojson: want one MultiPolygon feature")
        else:
            check_geometry(fs[0]["geometry"], "service area", errors)
            area = Area(fs[0]["geometry"])
            figures.append("service area: %d polygons, %d holes, %d points, bbox %s" % (
                len(area.polys), sum(len(p) - 1 for p in area.polys),
                sum(len(r) for r in rings_of(fs[0]["geometry"])), list(area.bbox)))

    # the outline must be exactly the union of the districts: same area (one projection for all)
    if area and dist_areas:
        lat0 = (area.bbox[1] + area.bbox[3]) / 2.0
        a_sa = polygons_area_m2(area.polys, lat0)
        a_d = sum(polygons_area_m2(d.polys, lat0) for d in dist_areas.values())
        figures.append("area: districts %.3f km2, service area %.3f km2" % (a_d / 1e6, a_sa / 1e6))
        if abs(a_sa - a_d) > 1e-7 * a_sa:
            errors.append("service area (%.1f m2) is not the union of the districts (%.1f m2)"
                          % (a_sa, a_d))

    # city.json
    city = load_json(os.path.join(pack, "city.json"), errors)
    if city and area:
        want = [round(v, DECIMALS) for v in area.bbox]
        if city.get("bbox") != want:
            errors.append("city.json: bbox %s, service area gives %s" % (city.get("bbox"), want))
        hol = city.get("holidays", [])
        if hol != sorted(set(hol)):
            errors.append("city.json: holidays not sorted and unique")
        if not area.contains(*city["center"]):
            errors.append("city.json: center outside the service area")

    # 311 points
    sr_types = set()
    with open(a.csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sr_types = {r["sr_type"] for r in rows}
    if area and dist_areas:
        pts = in_sa = own = 0
        for r in rows:
            if not r["latitude"] or not r["longitude"]:
                continue
            x, y = float(r["longitude"]), float(r["latitude"])
            pts += 1
            if area.contains(x, y):
                in_sa += 1
            ca = r.get("community_area", "")
            if ca and ca in dist_areas and dist_areas[ca].contains(x, y):
                own += 1
        figures.append("311 points inside the service area: %d of %d" % (in_sa, pts))
        figures.append("311 points inside their own row's district: %d of %d" % (own, pts))
        if in_sa < a.min_inside:
            errors.append("only %d of %d points inside the service area (want >= %d)"
                          % (in_sa, pts, a.min_inside))

    # categories
    cats = load_json(os.path.join(pack, "categories.json"), errors)
    if cats:
        mapped = check_categories(cats.get("categories", []), sr_types, errors)
        n_rows = sum(1 for r in rows if ("chicago311", r["sr_type"]) in mapped)
        figures.append("categories: %d, mapping %d sr_types, %d of %d CSV rows" % (
            len(cats["categories"]), len(mapped), n_rows, len(rows)))

    # streets
    spath = os.path.join(pack, "streets.tsv")
    with open(spath, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        n = 0
        prev = None
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4 or not parts[0]:
                errors.append("streets.tsv line %d: %d fields" % (n + 2, len(parts)))
                break
            first = tuple(float(v) for v in parts[3].split(",")[0].split(" "))
            key = (parts[0], first)
            if prev is not None and key < prev:
                errors.append("streets.tsv line %d: not sorted" % (n + 2))
                break
            prev = key
            n += 1
    if header != "street\tfrom_cross\tto_cross\tcoords":
        errors.append("streets.tsv: header %r" % header)
    figures.append("streets.tsv: %d segments" % n)
    if a.streets and n != a.streets:
        errors.append("streets.tsv: %d segments, want %d" % (n, a.streets))

    # demo
    if a.demo:
        dpath = os.path.join(pack, a.demo)
        with open(dpath, encoding="utf-8", newline="") as f:
            dr = csv.reader(f)
            header = next(dr)
            drows = list(dr)
        bad = [r for r in drows if len(r) != len(header)]
        if bad:
            errors.append("%s: %d rows with a wrong field count" % (a.demo, len(bad)))
        if a.demo_columns and header != a.demo_columns.split(","):
            errors.append("%s: header %s" % (a.demo, header))
        nocoord = sum(1 for r in drows if not r[header.index("latitude")]) if "latitude" in header else 0
        figures.append("%s: %d rows, %d without coordinates" % (a.demo, len(drows), nocoord))

    # sizes
    for spec in a.max_kb or []:
        name, _, kb = spec.partition("=")
        size = os.path.getsize(os.path.join(pack, name))
        figures.append("size %s: %d bytes" % (name, size))
        if size > int(kb) * 1024:
            errors.append("%s: %d bytes > %s KB" % (name, size, kb))

    for line in figures:
        print("check: " + line)
    if errors:
        for e in errors:
            sys.stderr.write("check FAILED: %s\n" % e)
        sys.exit(1)
    print("check: all good")


def polygons_area_m2(polys, lat0):
    """Area of polygons in m2, all rings in one equirectangular projection at latitude lat0."""
    k = math.radians(1.0) * EARTH_R
    c = math.cos(math.radians(lat0))
    total = 0.0
    for poly in polys:
        for ring in poly:  # outer CCW > 0, holes CW < 0
            total += ring_signed_area([(p[0] * k * c, p[1] * k) for p in ring])
    return total


def rings_of(geom):
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [r for p in polys for r in p]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("polygons")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--name-override", action="append")
    p.set_defaults(fn=cmd_polygons)
    p = sub.add_parser("outline")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--name", required=True)
    p.add_argument("--min-hole-m2", type=float, default=0.0)
    p.set_defaults(fn=cmd_outline)
    p = sub.add_parser("streets")
    p.add_argument("input")
    p.add_argument("output")
    p.set_defaults(fn=cmd_streets)
    p = sub.add_parser("demo")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--columns", required=True)
    p.add_argument("--drop-column-value", action="append")
    p.set_defaults(fn=cmd_demo)
    p = sub.add_parser("check")
    p.add_argument("pack")
    p.add_argument("--csv", required=True)
    p.add_argument("--min-inside", type=int, default=0)
    p.add_argument("--streets", type=int, default=0)
    p.add_argument("--max-kb", action="append")
    p.add_argument("--demo")
    p.add_argument("--demo-columns")
    p.set_defaults(fn=cmd_check)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
