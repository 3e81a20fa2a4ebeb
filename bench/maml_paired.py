#!/usr/bin/python3
"""Paired seed-by-seed comparison of two columns of a bench/maml_grid.sh log.

    bench/maml_paired.py LOG A B      (A, B as TAG:IMPL, e.g. s3:fewflow)

For every cell run by both A and B on the same training seeds it prints
the per-seed differences d_s = A_s - B_s (accuracy points), their mean
with a 95% Student-t interval mean +- t(0.975, n-1) * sd(d) / sqrt(n),
and, for reference, the unpaired interval bench/maml_table.py prints
(1.96 * sqrt(sd_a^2 / n + sd_b^2 / n)). Only seeds present on both sides
count. The intervals cover training-seed spread and each run's
test-episode noise, not just the latter.
"""
import json
import math
import sys
from collections import defaultdict

# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
        2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
        2.048, 2.045, 2.042]


def sd(v):
    m = sum(v) / len(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def load(path):
    runs = defaultdict(dict)
    for line in open(path):
        if line.startswith("{"):
            d = json.loads(line)
            key = (d["protocol"], d["method"], d["shot"],
                   "%s:%s" % (d["tag"], d["impl"]))
            runs[key][d["seed"]] = 100 * d["accuracy"]
    return runs


def report(cell, a, b):
    seeds = sorted(set(a) & set(b))
    n = len(seeds)
    if n < 2:
        return
    d = [a[s] - b[s] for s in seeds]
    md = sum(d) / n
    half = T975[n - 2] * sd(d) / math.sqrt(n)
    va, vb = [a[s] for s in seeds], [b[s] for s in seeds]
    unp = 1.96 * math.sqrt(sd(va) ** 2 / n + sd(vb) ** 2 / n)
    print("%s %s %d-shot, seeds %d..%d (n=%d)" % (cell + (seeds[0],
          seeds[-1], n)))
    print("  A: " + " ".join("%.1f" % x for x in va) +
          "  mean %.2f sd %.2f" % (sum(va) / n, sd(va)))
    print("  B: " + " ".join("%.1f" % x for x in vb) +
          "  mean %.2f sd %.2f" % (sum(vb) / n, sd(vb)))
    print("  d: " + " ".join("%+.1f" % x for x in d))
    verdict = "below" if md + half < 0 else (
        "above" if md - half > 0 else "no difference shown")
    print("  mean d %+.2f, 95%% t interval [%+.2f, %+.2f] (+-%.2f): %s;"
          " unpaired +-%.2f" % (md, md - half, md + half, half, verdict,
                                unp))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    runs = load(sys.argv[1])
    cola, colb = sys.argv[2], sys.argv[3]
    cells = sorted({k[:3] for k in runs if k[3] == cola})
    for cell in cells:
        if cell + (colb,) in runs:
            report(cell, runs[cell + (cola,)], runs[cell + (colb,)])


if __name__ == "__main__":
    main()
