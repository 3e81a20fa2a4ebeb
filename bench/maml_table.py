#!/usr/bin/python3
"""Markdown tables from a bench/maml_grid.sh log (one JSON line per run).

    bench/maml_table.py LOG [A B ...]

A, B name columns as TAG:IMPL (default before:fewflow after:fewflow
peer:torch). Each cell shows the training seeds' accuracies, their mean,
and for every column after the first PyTorch-like one the difference
"column - last column" with a 95% interval from the seed-to-seed spread
(which includes the test-episode noise of each run): 1.96 * sqrt(sd_a^2 /
n_a + sd_b^2 / n_b). With three seeds that interval is itself rough.
"""
import json
import math
import sys
from collections import defaultdict

PROTOCOLS = ["unsw-nb15", "cic-ids2017", "nsl-kdd"]


def stats(v):
    n = len(v)
    mean = sum(v) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0
    return mean, sd, n


def main():
    log = sys.argv[1]
    cols = sys.argv[2:] or ["before:fewflow", "after:fewflow", "peer:torch"]
    runs = defaultdict(dict)
    for line in open(log):
        line = line.strip()
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        col = "%s:%s" % (d["tag"], d["impl"])
        runs[(d["protocol"], d["method"], d["shot"], col)][d["seed"]] = (
            100 * d["accuracy"])
    ref = cols[-1]
    head = ["protocol", "method", "shot"]
    for c in cols:
        head += [c + " (seeds)", "mean"]
    head += ["%s - %s" % (c, ref) for c in cols[:-1]]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for p in PROTOCOLS:
        for m in ["maml", "fomaml"]:
            for k in [1, 5]:
                row = [p, m, str(k)]
                st = {}
                for c in cols:
                    r = runs.get((p, m, k, c), {})
                    seeds = sorted(r)
                    row.append(" / ".join("%.1f" % r[s] for s in seeds)
                               or "-")
                    st[c] = stats([r[s] for s in seeds]) if r else None
                    row.append("%.1f" % st[c][0] if r else "-")
                for c in cols[:-1]:
                    a, b = st[c], st[ref]
                    if not a or not b:
                        row.append("-")
                        continue
                    hw = 1.96 * math.sqrt(a[1] ** 2 / a[2] + b[1] ** 2 / b[2])
                    row.append("%+.1f ± %.1f" % (a[0] - b[0], hw))
                print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    sys.exit(main())
