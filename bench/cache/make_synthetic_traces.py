#!/usr/bin/env python3
"""Writes synthetic key traces (gzip text, one key per line) that stress
different sides of an eviction policy, for musicbot_cache_sim:

  zipf.keys.gz        Zipf(0.9) over 200k keys: frequency wins (TinyLFU territory)
  zipf_scan.keys.gz   Zipf(0.8) interleaved with long one-off scans: scan resistance
  loop.keys.gz        a loop over 6,000 keys: LRU gets ~0 at sizes below 6,000
  recency.keys.gz     a drifting hot set (new keys keep becoming popular): LRU territory
  phases.keys.gz      alternating recency and frequency phases: the window must adapt

Deterministic (fixed seed). Usage: make_synthetic_traces.py OUTDIR
"""
import bisect
import gzip
import itertools
import os
import random
import sys


def zipf_sampler(rng, n, alpha):
    weights = [1.0 / (i + 1) ** alpha for i in range(n)]
    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    perm = list(range(n))
    rng.shuffle(perm)
    return lambda: perm[bisect.bisect_left(cum, rng.random() * total)]


def zipf(rng, count=1_000_000):
    draw = zipf_sampler(rng, 200_000, 0.9)
    return [draw() for _ in range(count)]


def zipf_scan(rng, count=1_000_000):
    draw = zipf_sampler(rng, 100_000, 0.8)
    out, fresh = [], 10_000_000
    while len(out) < count:
        out.extend(draw() for _ in range(20_000))
        out.extend(range(fresh, fresh + 8_000))
        fresh += 8_000
    return out[:count]


def loop(rng, count=600_000):
    return [i % 6_000 for i in range(count)]


def recency(rng, count=1_000_000):
    # Key k becomes hot at time ~10k and is read with a geometric recency
    # distribution: recent keys are much more likely than old ones.
    out = []
    for t in range(count):
        newest = t // 10
        age = int(rng.expovariate(1 / 300.0))
        out.append(max(newest - age, 0))
    return out


def phases(rng, count=1_000_000):
    draw = zipf_sampler(rng, 50_000, 0.9)
    out, t = [], 0
    while len(out) < count:
        for _ in range(100_000):
            newest = t // 8
            t += 1
            out.append(5_000_000 + max(newest - int(rng.expovariate(1 / 400.0)), 0))
        out.extend(draw() for _ in range(100_000))
    return out[:count]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(outdir, exist_ok=True)
    for name, make in (("zipf", zipf), ("zipf_scan", zipf_scan), ("loop", loop),
                       ("recency", recency), ("phases", phases)):
        keys = make(random.Random(20260125))
        path = os.path.join(outdir, f"{name}.keys.gz")
        with gzip.open(path, "wt") as f:
            f.write("\n".join(map(str, keys)))
            f.write("\n")
        print(path, len(keys))


if __name__ == "__main__":
    main()
