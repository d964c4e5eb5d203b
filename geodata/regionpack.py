#!/usr/bin/env python3
"""Helpers that build and check a meldpunt region pack (python3 standard library only).

Called by geodata/build-halle-vilvoorde.sh; see geodata/README.md ("Region packs").

  regionpack.py cityjson REGION_DIR             region.json + districts -> city.json (bbox, centre,
                                                holidays computed from the holiday rules)
  regionpack.py members  REGION_DIR IN.geojson UNION.geojson
                                                districts.geojson and service_area.geojson of the
                                                region, and one folder per municipality under
                                                members/: districts.geojson, service_area.geojson
                                                (derived), city.json (written only when missing:
                                                hand-edited from then on)
  regionpack.py demo     REGION_DIR OUT.csv [--year Y] [--per-day-per-1000 R] [--seed S]
                                                a generated year of reports, "labelled" import format
  regionpack.py check    REGION_DIR             structure of the region and its members
  regionpack.py holidays RULES YEAR             print the computed holidays of one year

IN.geojson holds the municipalities (properties nis, name_nl, name_fr, population; WGS84) and
UNION.geojson their union, as written by the ogr2ogr step of the build script.
Everything written is deterministic: same input, same bytes.
"""

import argparse
import datetime
import json
import math
import os
import random
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import citypack  # noqa: E402  (rings, polygons, feature collections)

YEARS = range(2020, 2031)


def die(msg):
    sys.stderr.write("regionpack: error: %s\n" % msg)
    sys.exit(1)


# ---------------------------------------------------------------- calendar

def easter(year):
    """Easter Sunday of the Gregorian calendar (the anonymous computus, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def holidays_be(year, flemish=True):
    """The ten Belgian legal holidays (no substitute days: the law gives none on fixed dates),
    plus 11 July (Feest van de Vlaamse Gemeenschap) for Flemish local government."""
    e = easter(year)
    days = {
        datetime.date(year, 1, 1): "Nieuwjaar",
        e + datetime.timedelta(days=1): "Paasmaandag",
        datetime.date(year, 5, 1): "Dag van de Arbeid",
        e + datetime.timedelta(days=39): "O.L.H. Hemelvaart",
        e + datetime.timedelta(days=50): "Pinkstermaandag",
        datetime.date(year, 7, 21): "Nationale feestdag",
        datetime.date(year, 8, 15): "O.L.V. Hemelvaart",
        datetime.date(year, 11, 1): "Allerheiligen",
        datetime.date(year, 11, 11): "Wapenstilstand",
        datetime.date(year, 12, 25): "Kerstmis",
    }
    if flemish:
        days[datetime.date(year, 7, 11)] = "Feest van de Vlaamse Gemeenschap"
    return days


def holidays_for(rules):
    if rules not in ("BE", "BE-FL"):
        die("unknown holiday_rules %r (BE)" % rules)
    out = []
    for y in YEARS:
        out.extend(d.isoformat() for d in sorted(holidays_be(y, True)))
    return out


# ---------------------------------------------------------------- names

def slug(name):
    """'Sint-Genesius-Rode' -> 'sint-genesius-rode': the member's id, its folder and /m/{slug}."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    out = []
    for ch in s:
        out.append(ch if ch.isalnum() else "-")
    return "-".join(p for p in "".join(out).split("-") if p)


def read_members(path):
    rows = []
    for f in json.load(open(path, encoding="utf-8"))["features"]:
        p = f["properties"]
        rows.append((p["nis"], p["name_nl"], p["name_fr"], int(p["population"]), f["geometry"]))
    rows.sort(key=lambda r: r[0])
    return rows


def bbox_of(polys):
    xs = [p[0] for poly in polys for ring in poly for p in ring]
    ys = [p[1] for poly in polys for ring in poly for p in ring]
    return [round(min(xs), 6), round(min(ys), 6), round(max(xs), 6), round(max(ys), 6)]


def feature_polys(f):
    g = f["geometry"]
    return g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- commands

def cmd_cityjson(a):
    region = json.load(open(os.path.join(a.dir, "region.json"), encoding="utf-8"))
    area = json.load(open(os.path.join(a.dir, "service_area.geojson"), encoding="utf-8"))
    bb = bbox_of(feature_polys(area["features"][0]))
    city = {}
    for k in ("id", "name", "name_en", "country", "crs", "timezone"):
        city[k] = region[k]
    city["languages"] = region.get("languages", ["nl", "en"])
    city["center"] = [round((bb[0] + bb[2]) / 2, 6), round((bb[1] + bb[3]) / 2, 6)]
    city["zoom"] = region["zoom"]
    city["bbox"] = bb
    city["area_margin_m"] = region["area_margin_m"]
    city["workdays"] = region["workdays"]
    city["holidays"] = holidays_for(region["holiday_rules"])
    city["tiles"] = region["tiles"]
    city["sources"] = region["sources"]
    write_json(os.path.join(a.dir, "city.json"), city)
    print("cityjson: bbox %s, %d holidays -> city.json" % (bb, len(city["holidays"])))


def cmd_members(a):
    region = json.load(open(os.path.join(a.dir, "region.json"), encoding="utf-8"))
    rows = read_members(a.input)
    base = os.path.join(a.dir, "members")
    os.makedirs(base, exist_ok=True)
    feats = []
    for nis, name_nl, name_fr, pop, geom in rows:
        polys = citypack.clean_polygons(geom)
        g = citypack.geometry_json(polys)
        sl = slug(name_nl)
        d = os.path.join(base, sl)
        os.makedirs(d, exist_ok=True)
        feats.append({"type": "Feature", "properties": {"code": nis, "name": name_nl},
                      "geometry": g})
        citypack.write_feature_collection(
            os.path.join(d, "districts.geojson"),
            [{"type": "Feature", "properties": {"code": nis, "name": name_nl}, "geometry": g}])
        mg = {"type": "MultiPolygon", "coordinates": polys}
        citypack.write_feature_collection(
            os.path.join(d, "service_area.geojson"),
            [{"type": "Feature", "properties": {"name": name_nl}, "geometry": mg}])
        cj = os.path.join(d, "city.json")
        if not os.path.exists(cj):
            # A member is a few lines: everything else comes from the region's city.json.
            write_json(cj, {"id": sl, "name": name_nl, "name_fr": name_fr, "nis": nis,
                            "population": pop, "zoom": region.get("member_zoom", 12)})
    citypack.write_feature_collection(os.path.join(a.dir, "districts.geojson"), feats)
    union = json.load(open(a.union, encoding="utf-8"))["features"]
    if len(union) != 1:
        die("union: expected one geometry, got %d" % len(union))
    dropped = []
    polys = citypack.clean_polygons(union[0]["geometry"], 10000.0, dropped)
    citypack.write_feature_collection(
        os.path.join(a.dir, "service_area.geojson"),
        [{"type": "Feature", "properties": {"name": region["name"]},
          "geometry": {"type": "MultiPolygon", "coordinates": polys}}])
    print("members: %d municipalities -> %s; outline: %d polygons, %d holes (%d < 1 ha dropped)"
          % (len(rows), base, len(polys), sum(len(p) - 1 for p in polys), len(dropped)))


def members_of(d):
    base = os.path.join(d, "members")
    out = []
    for sl in sorted(os.listdir(base)):
        cj = json.load(open(os.path.join(base, sl, "city.json"), encoding="utf-8"))
        dist = json.load(open(os.path.join(base, sl, "districts.geojson"), encoding="utf-8"))
        out.append((sl, cj, dist["features"]))
    return out


def random_point(rnd, polys, bb, centre, spread):
    """A point inside polys: near the centre (a town's core) with probability 0.6, else
    anywhere; rejection sampling on the bounding box."""
    rings = [[ring for ring in poly] for poly in polys]
    for _ in range(10000):
        if centre and rnd.random() < 0.6:
            x = rnd.gauss(centre[0], spread[0])
            y = rnd.gauss(centre[1], spread[1])
        else:
            x = rnd.uniform(bb[0], bb[2])
            y = rnd.uniform(bb[1], bb[3])
        if any(citypack.point_in_rings(x, y, r) for r in rings):
            return x, y
    die("cannot place a point")


def offset(rnd, x, y, max_m):
    """A point at most max_m metres from (x, y) (local equirectangular metres)."""
    r = max_m * math.sqrt(rnd.random())
    t = rnd.uniform(0, 2 * math.pi)
    kx = 111320.0 * math.cos(math.radians(y))
    return x + r * math.cos(t) / kx, y + r * math.sin(t) / 111320.0


# Share of each category in a Flemish town's reports (sluikstort and zwerfvuil lead).
MIX = [("sluikstort", 24), ("zwerfvuil", 14), ("wegdek", 15), ("straatverlichting", 14),
       ("voetpad", 8), ("groenonderhoud", 9), ("te_snel_verkeer", 5), ("verkeersbord", 4),
       ("riolering", 4), ("graffiti", 3)]


def working_days_later(day, n, holidays):
    d = day
    while n > 0:
        d += datetime.timedelta(days=1)
        if d.isoweekday() <= 5 and d.isoformat() not in holidays:
            n -= 1
    return d


def cmd_demo(a):
    rnd = random.Random(a.seed)
    city = json.load(open(os.path.join(a.dir, "city.json"), encoding="utf-8"))
    cats = {c["code"]: c for c in
            json.load(open(os.path.join(a.dir, "categories.json"), encoding="utf-8"))["categories"]}
    holidays = set(city["holidays"])
    start = datetime.date(a.year, 1, 1)
    ndays = (datetime.date(a.year + 1, 1, 1) - start).days
    rows = []
    for sl, cj, feats in members_of(a.dir):
        polys = [p for f in feats for p in feature_polys(f)]
        bb = bbox_of(polys)
        centre = ((bb[0] + bb[2]) / 2, (bb[1] + bb[3]) / 2)
        spread = ((bb[2] - bb[0]) / 8, (bb[3] - bb[1]) / 8)
        per_day = cj["population"] * a.per_day_per_1000 / 1000.0
        own = os.path.join(a.dir, "members", sl, "categories.json")
        omit = set(json.load(open(own, encoding="utf-8")).get("omit", [])) \
            if os.path.exists(own) else set()
        mix = [(c, w) for c, w in MIX if c not in omit]
        n = int(round(per_day * ndays))
        recent = []  # (time, category, lon, lat, id) of this town's earlier reports
        for i in range(n):
            day = start + datetime.timedelta(days=rnd.randrange(ndays))
            secs = int(rnd.triangular(6 * 3600, 23 * 3600, 12 * 3600))
            t = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=secs)
            rows.append([sl, t, None, None, None, i])
        rows_town = [r for r in rows if r[0] == sl and r[2] is None]
        rows_town.sort(key=lambda r: r[1])
        for k, r in enumerate(rows_town):
            rid = "%s-%05d" % (cj["nis"], k + 1)
            cat = rnd.choices([c for c, _ in mix], [w for _, w in mix])[0]
            parent = ""
            # One report in four is about something already reported (a neighbour saw it too).
            cands = [p for p in recent[-200:] if p[1] == cat and
                     (r[1] - p[0]).days < min(cats[cat]["window_days"], 14)]
            if cands and rnd.random() < 0.25:
                p = rnd.choice(cands)
                lon, lat = offset(rnd, p[2], p[3], cats[cat]["radius_m"] * 0.6)
                if not any(citypack.point_in_rings(lon, lat, poly) for poly in polys):
                    lon, lat = p[2], p[3]
                parent = p[4]
            else:
                lon, lat = random_point(rnd, polys, bb, centre, spread)
            recent.append((r[1], cat, lon, lat, rid))
            # 70% fixed within ten working days, the rest later or (5%) never in this year.
            closed = ""
            if not parent:
                u = rnd.random()
                if u < 0.70:
                    wd = rnd.randint(0, 10)
                elif u < 0.95:
                    wd = rnd.randint(11, 60)
                else:
                    wd = None
                if wd is not None:
                    cd = working_days_later(r[1].date(), wd, holidays)
                    ct = datetime.datetime.combine(cd, datetime.time(hour=rnd.randint(8, 15),
                                                                     minute=rnd.randint(0, 59)))
                    if ct <= r[1]:
                        ct = r[1] + datetime.timedelta(hours=2)
                    closed = ct.isoformat()
            r[2] = [rid, r[1].isoformat(), cat, "%.6f" % lat, "%.6f" % lon, "",
                    "true" if parent else "false", parent, closed]
    out = sorted((r[2] for r in rows), key=lambda v: (v[1], v[0]))
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    with open(a.output, "w", encoding="utf-8", newline="") as f:
        f.write("id,time,category,lat,lon,address,duplicate,parent_id,closed_at\r\n")
        for v in out:
            f.write(",".join(v) + "\r\n")
    print("demo: %d reports in %d -> %s" % (len(out), a.year, a.output))


def cmd_check(a):
    errors = []
    city = json.load(open(os.path.join(a.dir, "city.json"), encoding="utf-8"))
    region = json.load(open(os.path.join(a.dir, "region.json"), encoding="utf-8"))
    if city["id"] != region["id"] or city["id"] != os.path.basename(os.path.abspath(a.dir)):
        errors.append("city.json id %r, region.json id %r, folder %r differ"
                      % (city["id"], region["id"], os.path.basename(a.dir)))
    seen = set()
    total = 0
    for sl, cj, feats in members_of(a.dir):
        if cj.get("id") != sl:
            errors.append("members/%s/city.json: id %r is not the folder name" % (sl, cj.get("id")))
        if slug(cj.get("name", "")) != sl:
            errors.append("members/%s: name %r does not give this slug" % (sl, cj.get("name")))
        if len(feats) < 1:
            errors.append("members/%s: no districts" % sl)
        for f in feats:
            citypack.check_geometry(f["geometry"], "members/%s" % sl, errors)
            code = f["properties"]["code"]
            if code in seen:
                errors.append("district code %s in two members" % code)
            seen.add(code)
        total += 1
    if a.members and total != a.members:
        errors.append("%d members, want %d" % (total, a.members))
    for e in errors:
        sys.stderr.write("check FAILED: %s\n" % e)
    if errors:
        sys.exit(1)
    print("check: ok: %d members, %d districts, %d holidays" % (total, len(seen),
                                                               len(city["holidays"])))


def cmd_holidays(a):
    for d, name in sorted(holidays_be(a.year).items()):
        print(d.isoformat(), name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("cityjson")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_cityjson)
    p = sub.add_parser("members")
    p.add_argument("dir")
    p.add_argument("input")
    p.add_argument("union")
    p.set_defaults(fn=cmd_members)
    p = sub.add_parser("demo")
    p.add_argument("dir")
    p.add_argument("output")
    p.add_argument("--year", type=int, default=2025)
    # Halle: ~5,000 reports in 14 months for 40,182 people, i.e. 12 a day = 0.3 per 1,000.
    p.add_argument("--per-day-per-1000", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=21)
    p.set_defaults(fn=cmd_demo)
    p = sub.add_parser("check")
    p.add_argument("dir")
    p.add_argument("--members", type=int, default=0)
    p.set_defaults(fn=cmd_check)
    p = sub.add_parser("holidays")
    p.add_argument("rules")
    p.add_argument("year", type=int)
    p.set_defaults(fn=cmd_holidays)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
