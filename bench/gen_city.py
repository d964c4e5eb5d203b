#!/usr/bin/env python3
"""gen_city.py - a fixed-seed synthetic city of street-defect reports.

Writes N reports (default 1,000,000) in the `labelled` CSV format that
`meldpunt import --format labelled` reads:

    id,time,category,lat,lon,address,duplicate,parent_id

What makes it look like a city rather than noise:
  - places: two thirds of the reports are "originals" on a street of the pack
    (streets.tsv segments, chosen by length and weighted towards the centre,
    with a few metres' offset from the centre line); one in ten originals is
    anywhere inside the service area (parks, yards, alleys);
  - categories: the pack's codes with skewed frequencies, roughly as the 311
    feed has them (street lights, potholes and graffiti dominate; viaduct
    lights and open hydrants are rare);
  - duplicates: a third of the reports are near-copies of an earlier one,
    5-40 m from the first report of its group, same category, filed a little
    later (mostly within hours to days); they carry duplicate=true and the
    first report's id as parent_id, as the City's own labels do;
  - time: a Poisson stream over two years, in order.

Every point lies inside the service area (point-in-polygon against
service_area.geojson), so an import stores all N. The output depends only
on --seed, N and the pack files: the same arguments give the same bytes.

A region pack (a pack with members/, e.g. --pack geodata/halle-vilvoorde)
is generated member by member instead (see region_places()): each original
falls in one municipality chosen in proportion to the population its
members/<slug>/city.json gives, near the town's core or anywhere in it, and
inside that member's service_area.geojson; its category is one the member
does not omit (members/<slug>/categories.json), weighted as a Flemish town's
reports are; near-copies stay inside their original's municipality. The
region pack has no streets.tsv, so its reports carry no address. The
Chicago output is unchanged by this (same bytes as before).

Usage: bench/gen_city.py [-n N] [--seed S] [--pack DIR] [--out FILE]
Python 3 standard library only.
"""
import argparse
import bisect
import csv
import json
import math
import os
import random
import sys
import time

# Relative frequencies per category code (sum need not be 1). Codes missing
# from the pack are ignored; pack codes missing here get weight 0.5.
WEIGHTS = {
    "street_light_out": 14.0, "pothole": 12.0, "graffiti": 10.0, "rodent": 9.0,
    "abandoned_vehicle": 7.0, "tree_debris": 6.0, "illegal_dumping": 6.0,
    "sewer_blocked": 4.0, "sign_repair": 4.0, "street_cleaning": 3.0,
    "alley_light_out": 3.0, "tree_inspection": 3.0, "alley_pothole": 3.0,
    "water_on_street": 2.0, "sidewalk_damage": 2.0, "traffic_signal_out": 2.0,
    "public_way_damage": 1.5, "dead_animal": 1.5, "street_light_pole_damage": 1.0,
    "uncleared_sidewalk": 1.0, "snow_removal": 1.0, "open_hydrant": 0.8,
    "sewer_cave_in": 0.6, "speeding": 0.5, "traffic_complaint": 0.5,
    "viaduct_light_out": 0.4,
}

# A Flemish town's mix (as geodata/regionpack.py's demo has it): dumping and
# litter lead, then the road surface and street lights.
REGION_WEIGHTS = {
    "sluikstort": 24.0, "wegdek": 15.0, "zwerfvuil": 14.0, "straatverlichting": 14.0,
    "groenonderhoud": 9.0, "voetpad": 8.0, "te_snel_verkeer": 5.0, "verkeersbord": 4.0,
    "riolering": 4.0, "graffiti": 3.0,
}

START = 1672531200  # 2023-01-01T00:00:00Z
SPAN = 2 * 365 * 86400
M_PER_DEG_LAT = 111320.0


class Area:
    """Even-odd point-in-polygon over all rings, with edges bucketed by
    latitude band so that a test looks at a handful of edges, not 800."""

    BANDS = 4000

    def __init__(self, geojson_path, bands=BANDS):
        self.BANDS = bands
        with open(geojson_path, encoding="utf-8") as f:
            fc = json.load(f)
        edges = []
        for feat in fc["features"]:
            g = feat["geometry"]
            polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
            for poly in polys:
                for ring in poly:
                    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
                        if y1 != y2:
                            edges.append((x1, y1, x2, y2))
        self.min_lat = min(min(e[1], e[3]) for e in edges)
        self.max_lat = max(max(e[1], e[3]) for e in edges)
        self.min_lon = min(min(e[0], e[2]) for e in edges)
        self.max_lon = max(max(e[0], e[2]) for e in edges)
        self.h = (self.max_lat - self.min_lat) / self.BANDS
        self.bands = [[] for _ in range(self.BANDS)]
        for e in edges:
            lo, hi = min(e[1], e[3]), max(e[1], e[3])
            for b in range(self._band(lo), self._band(hi) + 1):
                self.bands[b].append(e)

    def _band(self, lat):
        return min(self.BANDS - 1, max(0, int((lat - self.min_lat) / self.h)))

    def contains(self, lon, lat):
        if not (self.min_lat < lat < self.max_lat and self.min_lon < lon < self.max_lon):
            return False
        inside = False
        for x1, y1, x2, y2 in self.bands[self._band(lat)]:
            if (y1 > lat) != (y2 > lat):
                if lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside


def load_streets(path, centre):
    """Segments (street, lon1, lat1, lon2, lat2) and cumulative weights:
    length times a density that is 4x higher at the centre than far out."""
    segs, cum, total = [], [], 0.0
    clon, clat = centre
    kx = M_PER_DEG_LAT * math.cos(math.radians(clat))
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            street, _a, _b, coords = line.rstrip("\n").split("\t")
            pts = [tuple(map(float, p.split())) for p in coords.split(",")]
            for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                length = math.hypot((x2 - x1) * kx, (y2 - y1) * M_PER_DEG_LAT)
                if length <= 0:
                    continue
                mx, my = (x1 + x2) / 2, (y1 + y2) / 2
                d = math.hypot((mx - clon) * kx, (my - clat) * M_PER_DEG_LAT)
                total += length * (1.0 + 3.0 * math.exp(-(d * d) / (2 * 7000.0 ** 2)))
                segs.append((street, x1, y1, x2, y2, length))
                cum.append(total)
    return segs, cum


def offset(lon, lat, dist_m, bearing):
    """The point dist_m metres from (lon, lat) towards bearing (radians)."""
    dlat = dist_m * math.cos(bearing) / M_PER_DEG_LAT
    dlon = dist_m * math.sin(bearing) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def region_places(pack, rng):
    """For a region pack: (original, near, codes) where original() gives
    (lon, lat, category, address, member) of a fresh report, near(root) a point 5-40 m
    from a group's first report inside the same member (or None), and codes
    the region's category codes."""
    with open(os.path.join(pack, "categories.json"), encoding="utf-8") as f:
        codes = [c["code"] for c in json.load(f)["categories"]]
    base = os.path.join(pack, "members")
    members = []  # (area, centre, spread, category codes, cumulative weights)
    pop_cum, total = [], 0.0
    for slug in sorted(os.listdir(base)):
        with open(os.path.join(base, slug, "city.json"), encoding="utf-8") as f:
            cj = json.load(f)
        area = Area(os.path.join(base, slug, "service_area.geojson"), bands=400)
        omit = set()
        own = os.path.join(base, slug, "categories.json")
        if os.path.exists(own):
            with open(own, encoding="utf-8") as f:
                omit = set(json.load(f).get("omit", []))
        mine = [c for c in codes if c not in omit]
        cum, s = [], 0.0
        for c in mine:
            s += REGION_WEIGHTS.get(c, 0.5)
            cum.append(s)
        centre = ((area.min_lon + area.max_lon) / 2, (area.min_lat + area.max_lat) / 2)
        spread = ((area.max_lon - area.min_lon) / 8, (area.max_lat - area.min_lat) / 8)
        members.append((area, centre, spread, mine, cum))
        # Reports in proportion to the people (1 where a member does not say).
        total += float(cj.get("population", 1))
        pop_cum.append(total)

    def original():
        m = bisect.bisect_right(pop_cum, rng.random() * pop_cum[-1])
        area, centre, spread, mine, cum = members[m]
        cat = mine[bisect.bisect_right(cum, rng.random() * cum[-1])]
        while True:
            # A town's core with probability 0.6 (its reports bunch there), else anywhere.
            if rng.random() < 0.6:
                lon, lat = rng.gauss(centre[0], spread[0]), rng.gauss(centre[1], spread[1])
            else:
                lon = rng.uniform(area.min_lon, area.max_lon)
                lat = rng.uniform(area.min_lat, area.max_lat)
            if area.contains(lon, lat):
                return lon, lat, cat, "", m

    def near(root):
        return near_in(rng, members[root[5]][0], root)

    return original, near, codes


def write_stream(a, rng, original, near):
    """Writes a.n reports: a Poisson stream of times over SPAN seconds, in
    order; a share a.dup_share of near-copies of an earlier report (mostly a
    recent one: a mean of ~2,000 reports back, about a day and a half at this
    rate), placed near its group's first by near(root) (None: not a copy
    after all); the others from original() -> (lon, lat, category, address,
    tag), the tag kept in the group's root for near(). Returns the copies."""
    rate = a.n / SPAN
    out = sys.stdout if a.out == "-" else open(a.out, "w", encoding="utf-8", newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "time", "category", "lat", "lon", "address", "duplicate", "parent_id"])
    roots = []  # (id, lon, lat, category, address, tag) of each report's group root
    t = float(START)
    ndup = 0
    for i in range(a.n):
        t += rng.expovariate(rate)
        rid = "B%07d" % (i + 1)
        dup = i > 0 and rng.random() < a.dup_share
        if dup:
            k = min(i, 1 + int(rng.expovariate(1 / 2000.0)))
            root = roots[i - k]
            p = near(root)
            if p is None:
                dup = False
            else:
                lon, lat = p
        if dup:
            ndup += 1
            cat, addr, parent = root[3], root[4], root[0]
            roots.append(root)
        else:
            lon, lat, cat, addr, tag = original()
            parent = ""
            roots.append((rid, lon, lat, cat, addr, tag))
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))
        w.writerow([rid, ts, cat, "%.7f" % lat, "%.7f" % lon, addr,
                    "true" if dup else "false", parent])
    if out is not sys.stdout:
        out.close()
    return ndup


def near_in(rng, area, root):
    """A point 5-40 m from root inside area (50 tries), or None."""
    for _ in range(50):
        lon, lat = offset(root[1], root[2], rng.uniform(5.0, 40.0),
                          rng.uniform(0, 2 * math.pi))
        if area.contains(lon, lat):
            return lon, lat
    return None


def main_region(a):
    """The region's reports: same stream of times and near-copies as a city's."""
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    original, near, _codes = region_places(a.pack, rng)
    ndup = write_stream(a, rng, original, near)
    print("gen_city: region %s, %d reports (%d near-copies), seed %d, %.1f s" %
          (os.path.basename(os.path.normpath(a.pack)), a.n, ndup, a.seed,
           time.monotonic() - t0), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="reports (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=20230101)
    ap.add_argument("--pack", default=os.path.join(os.path.dirname(__file__), "..",
                                                   "geodata", "chicago"))
    ap.add_argument("--out", default="-", help="CSV file (default stdout)")
    ap.add_argument("--dup-share", type=float, default=1 / 3,
                    help="share of near-copies (default 1/3)")
    a = ap.parse_args()
    if a.n < 1:
        ap.error("-n must be at least 1")

    if os.path.isdir(os.path.join(a.pack, "members")):
        main_region(a)
        return
    t0 = time.monotonic()
    rng = random.Random(a.seed)
    with open(os.path.join(a.pack, "city.json"), encoding="utf-8") as f:
        city = json.load(f)
    with open(os.path.join(a.pack, "categories.json"), encoding="utf-8") as f:
        codes = [c["code"] for c in json.load(f)["categories"]]
    area = Area(os.path.join(a.pack, "service_area.geojson"))
    segs, seg_cum = load_streets(os.path.join(a.pack, "streets.tsv"), city["center"])
    cat_w = [WEIGHTS.get(c, 0.5) for c in codes]
    cat_cum, s = [], 0.0
    for w in cat_w:
        s += w
        cat_cum.append(s)

    def pick_category():
        return codes[bisect.bisect_right(cat_cum, rng.random() * cat_cum[-1])]

    def original():
        """(lon, lat, address) of a fresh report inside the area."""
        while True:
            if rng.random() < 0.1:
                lon = rng.uniform(area.min_lon, area.max_lon)
                lat = rng.uniform(area.min_lat, area.max_lat)
                addr = ""
            else:
                street, x1, y1, x2, y2, length = segs[
                    bisect.bisect_right(seg_cum, rng.random() * seg_cum[-1])]
                t = rng.random()
                lon, lat = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
                # A few metres to either side of the centre line.
                kx = M_PER_DEG_LAT * math.cos(math.radians(lat))
                nx, ny = -(y2 - y1) * M_PER_DEG_LAT / length, (x2 - x1) * kx / length
                side = rng.uniform(-12.0, 12.0)
                lon += side * nx / kx
                lat += side * ny / M_PER_DEG_LAT
                addr = "%d %s" % (2 * rng.randrange(50, 6000) + (side > 0), street)
            if area.contains(lon, lat):
                return lon, lat, addr

    def fresh():
        lon, lat, addr = original()
        return lon, lat, pick_category(), addr, None

    ndup = write_stream(a, rng, fresh, lambda root: near_in(rng, area, root))
    print("gen_city: %d reports (%d near-copies), seed %d, %.1f s" %
          (a.n, ndup, a.seed, time.monotonic() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
