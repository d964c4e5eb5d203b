#!/usr/bin/env python3
"""read_walk_cpu.py - server CPU (user and system, /proc) per uncached map read,
packs alternated, many requests: the check behind bench/README.md's "uncached
map read" row of the region at 1M (a 5-second wrk run at load 10-18 swings
+-25% between one pack's own runs).

For each pass and each PACK:DB:BBOXFILE the server (build-bench/meldpunt)
serves DB (a copy: opening migrates it) and answers N GET /api/v1/reports
for the BBOXFILE's box moved by up to +-0.002 degrees (bench/bbox_walk.lua's
jitter; a fixed seed, so both packs get the same offsets), after 50 to warm up.

    bench/read_walk_cpu.py [-n 400] [--passes 2] PACK:DB:BBOXFILE ...
"""
import argparse
import os
import random
import subprocess
import time
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def one(pack, db, bbox_file, port, n):
    env = dict(os.environ, MELDPUNT_RATE_READS="0")
    p = subprocess.Popen([os.path.join(ROOT, "build-bench", "meldpunt"), "serve", "--db", db, "--city", pack,
                          "--web", os.path.join(ROOT, "web"), "--listen", "127.0.0.1:%d" % port,
                          "--threads", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port).read()
                break
            except OSError:
                time.sleep(0.2)
        with open(bbox_file, encoding="utf-8") as f:
            x0, y0, x1, y1 = map(float, f.read().split()[0].split(","))

        def walk(k, seed):
            rng = random.Random(seed)
            for _ in range(k):
                dx, dy = (rng.random() * 2 - 1) * 0.002, (rng.random() * 2 - 1) * 0.002
                urllib.request.urlopen("http://127.0.0.1:%d/api/v1/reports?bbox=%.6f,%.6f,%.6f,%.6f"
                                       % (port, x0 + dx, y0 + dy, x1 + dx, y1 + dy)).read()

        def cpu():
            with open("/proc/%d/stat" % p.pid, encoding="utf-8") as f:
                st = f.read().rsplit(")", 1)[1].split()
            return int(st[11]), int(st[12])  # utime, stime

        walk(50, 7)
        u0, s0 = cpu()
        walk(n, 1001)
        u1, s1 = cpu()
        hz = os.sysconf("SC_CLK_TCK")
        return (u1 - u0) * 1000 / hz / n, (s1 - s0) * 1000 / hz / n
    finally:
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=400)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--port", type=int, default=18391)
    ap.add_argument("packs", nargs="+", help="PACK:DB:BBOXFILE")
    a = ap.parse_args()
    for i in range(a.passes):
        for spec in a.packs:
            pack, db, bbox_file = spec.split(":")
            u, s = one(pack, db, bbox_file, a.port, a.n)
            with open("/proc/loadavg", encoding="utf-8") as f:
                load = f.read().split()[0]
            print("pass %d %s: %.3f ms CPU per request (user %.3f, sys %.3f), %d requests, load %s"
                  % (i + 1, os.path.basename(pack.rstrip("/")), u + s, u, s, a.n, load), flush=True)


if __name__ == "__main__":
    main()
