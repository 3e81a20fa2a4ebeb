#!/usr/bin/python3
"""What `fewflow train --init-scale auto` picked, and whether it was right.

    bench/maml_autopick.py LOG TRAIN_LOG KAIMING TORCH

LOG is a bench/maml_grid.sh log holding the auto runs (tag "auto") and
runs of the two fixed scales (KAIMING, TORCH as TAG:IMPL, e.g.
before:fewflow candC:fewflow; a comma-separated list takes the first
column that has the seed); TRAIN_LOG is the grid's TRAIN_LOG (the
"init scale" lines of train). For every auto run it prints both
validation accuracies, the first-check (update 100) accuracies, the scale
kept, the test accuracy of each fixed scale on the same seed and whether
auto kept the one with the better test accuracy. Then per protocol: how
often validation picked the better test scale, and how often a 100-update
prefix would have ranked the candidates as the full runs did.
"""
import json
import re
import sys
from collections import defaultdict

LINE = re.compile(r"^(\S+) (\S+) (\d+) seed (\d+): .*init scale (kaiming|"
                  r"torch): validation accuracy ([0-9.]+) .*first check "
                  r"([0-9.]+|nan)\)")


def load_grid(path):
    runs = {}
    for line in open(path):
        if line.startswith("{"):
            d = json.loads(line)
            col = "%s:%s" % (d["tag"], d["impl"])
            key = (d["protocol"], d["method"], d["shot"], d["seed"])
            runs[(col,) + key] = d
    return runs


def load_val(path):
    val = defaultdict(dict)
    for line in open(path):
        m = LINE.match(line)
        if m:
            key = (m[1], m[2], int(m[3]), int(m[4]))
            val[key][m[5]] = (float(m[6]), float(m[7]))
    return val


def first(runs, cols, key):
    for col in cols.split(","):
        if (col,) + key in runs:
            return runs[(col,) + key]
    return None


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    runs = load_grid(sys.argv[1])
    val = load_val(sys.argv[2])
    cola, colb = sys.argv[3], sys.argv[4]
    right = defaultdict(lambda: [0, 0])
    prefix = defaultdict(lambda: [0, 0])
    print("| protocol | method | shot | seed | val kaiming | val torch "
          "| first check k / t | kept | test kaiming | test torch "
          "| auto test | right? |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: "
          "| ---: | --- |")
    for key in sorted(k[1:] for k in runs if k[0] == "auto:fewflow"):
        d = runs[("auto:fewflow",) + key]
        kept = "torch" if d.get("init_scale", 1) < 1 else "kaiming"
        v = val.get(key, {})
        a = first(runs, cola, key)
        b = first(runs, colb, key)
        vk, vt = v.get("kaiming", (float("nan"),) * 2), \
            v.get("torch", (float("nan"),) * 2)
        verdict = ""
        if a and b:
            better = "torch" if b["accuracy"] > a["accuracy"] else "kaiming"
            ok = better == kept
            right[key[0]][0] += ok
            right[key[0]][1] += 1
            verdict = "yes" if ok else "no"
        if vk[1] == vk[1] and vt[1] == vt[1]:
            same = (vk[1] >= vt[1]) == (vk[0] >= vt[0])
            prefix[key[0]][0] += same
            prefix[key[0]][1] += 1
        print("| %s | %s | %d | %d | %.4f | %.4f | %.4f / %.4f | %s | %s "
              "| %s | %.1f | %s |" % (key + (vk[0], vt[0], vk[1], vt[1],
                                            kept,
                                            "%.1f" % (100 * a["accuracy"])
                                            if a else "-",
                                            "%.1f" % (100 * b["accuracy"])
                                            if b else "-",
                                            100 * d["accuracy"], verdict)))
    print()
    for p in sorted(set(right) | set(prefix)):
        print("%s: auto kept the better-testing scale in %d of %d runs; "
              "update 100 ranks as the full run in %d of %d" %
              ((p,) + tuple(right[p]) + tuple(prefix[p])))


if __name__ == "__main__":
    main()
