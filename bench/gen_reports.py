#!/usr/bin/env python3
"""Generate a large synthetic 311 file in the chicago311 format for benchmarks.

Rows are drawn deterministically (seeded) from the city pack's own demo file: each
generated request copies the request type, origin and street address of a random
demo row, moves its point up to --jitter metres, and gets a creation time spread
evenly over --days days from --start, a status (Completed 85 %, Canceled 3 %,
Open 12 %) and, when closed, a closing time 0-30 days later. The output is what
`meldpunt import --format chicago311` reads, so the benchmark database is built
through the same validation and duplicate folding as real data.

Usage: bench/gen_reports.py --rows 1000000 > bench/data/reports.csv
Standard library only.
"""
import argparse
import csv
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent / 'geodata' / 'chicago' / 'demo' / 'chicago311-2021-01-01.csv'
COLUMNS = ['sr_number', 'sr_type', 'sr_short_code', 'status', 'origin', 'created_date',
           'closed_date', 'street_address', 'duplicate', 'parent_sr_number', 'community_area',
           'latitude', 'longitude']
# Types the Chicago pack maps to a category; the demo's other types would be skipped.
MAPPED = {
    'Pothole in Street Complaint', 'Alley Pothole Complaint', 'Street Light Out Complaint',
    'Street Light On During Day Complaint', 'Alley Light Out Complaint',
    'Viaduct Light Out Complaint', 'Street Light Pole Damage Complaint',
    'Traffic Signal Out Complaint', 'Graffiti Removal Request', 'Fly Dumping Complaint',
    'Sidewalk Inspection Request', 'Snow – Uncleared Sidewalk Complaint',
    'Ice and Snow Removal Request', 'Abandoned Vehicle Complaint', 'Water On Street Complaint',
    'Tree Debris Clean-Up Request', 'Tree Emergency', 'Dead Animal Pick-Up Request',
    'Rodent Baiting/Rat Complaint', 'Street Cleaning Request', 'Sewer Cave-In Inspection Request',
    'Sewer Cleaning Inspection Request', 'Alley Sewer Inspection Request',
    'Open Fire Hydrant Complaint', 'Inspect Public Way Request', 'Tree Removal Inspection',
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--start', default='2021-01-01')
    ap.add_argument('--days', type=int, default=730)
    ap.add_argument('--jitter', type=float, default=400.0, help='metres')
    ap.add_argument('--seed', type=int, default=6)
    a = ap.parse_args()

    with DEMO.open(encoding='utf-8', newline='') as f:
        demo = [r for r in csv.DictReader(f) if r['sr_type'] in MAPPED and r['latitude']]
    if not demo:
        sys.exit('gen_reports: no usable rows in the demo file')
    rnd = random.Random(a.seed)
    start = datetime.fromisoformat(a.start)
    span = a.days * 86400
    m_lat = 1 / 111320
    w = csv.writer(sys.stdout, lineterminator='\r\n')
    w.writerow(COLUMNS)
    for i in range(a.rows):
        src = demo[rnd.randrange(len(demo))]
        created = start + timedelta(seconds=int(i * span / a.rows) + rnd.randrange(60))
        r = rnd.random()
        if r < 0.85:
            status = 'Completed'
        elif r < 0.88:
            status = 'Canceled'
        else:
            status = 'Open'
        closed = ''
        if status != 'Open':
            closed = (created + timedelta(seconds=int(rnd.expovariate(1 / 86400 / 4)) % (30 * 86400)))
            closed = closed.strftime('%Y-%m-%dT%H:%M:%S.000')
        lat = float(src['latitude'])
        lon = float(src['longitude'])
        d = a.jitter * math.sqrt(rnd.random())
        t = rnd.random() * 2 * math.pi
        lat += d * math.cos(t) * m_lat
        lon += d * math.sin(t) * m_lat / math.cos(math.radians(lat))
        w.writerow([f'BENCH-{i:08d}', src['sr_type'], src['sr_short_code'], status, src['origin'],
                    created.strftime('%Y-%m-%dT%H:%M:%S.000'), closed, src['street_address'],
                    'False', '', src['community_area'], f'{lat:.7f}', f'{lon:.7f}'])


if __name__ == '__main__':
    main()
