#!/usr/bin/python3
"""Whose rows a change to the open-set decision moves into the enrolled
classes, from pairs of `fewflow eval --openset --json` outputs (before,
after) of the same model and draws.

For an enrolled class c with precision P and recall R, the rows it takes
per row of its own are R / P: R of them its own, R / P * false_from.novel
rows of the other novel classes, R / P * false_from.known rows of the
known classes (benign included). The change between the two files, summed
over classes and pairs, says what the change handed the enrolled classes:
a rule that frees rows benign used to keep helps only if most of them are
the class's own. Units: rows per row of the class (so with classes of
equal size the sums are proportional to row counts).

usage: bench/openset_released.py K BEFORE.json AFTER.json [BEFORE AFTER]...
"""
import json
import sys


def taken(cell):
    p, r = cell["precision"], cell["recall"]
    said = r / p if p > 0 else 0.0
    ff = cell["false_from"]
    return r, said * ff["novel"], said * ff["known"]


def pair(k, before, after):
    a = json.load(open(before))["enrolled"]
    b = json.load(open(after))["enrolled"]
    out = [0.0, 0.0, 0.0]
    for name in a:
        x, y = taken(a[name][k]), taken(b[name][k])
        print("%-34s %-20s own %+7.3f other novel %+7.3f known %+7.3f" % (
            after[-34:], name, *[v - u for u, v in zip(x, y)]))
        out = [o + v - u for o, u, v in zip(out, x, y)]
    return out


def main():
    if len(sys.argv) < 4 or len(sys.argv) % 2 != 0:
        sys.exit(__doc__.strip().splitlines()[-1])
    k, files = sys.argv[1], sys.argv[2:]
    tot = [0.0, 0.0, 0.0]
    for i in range(0, len(files), 2):
        tot = [t + v for t, v in zip(tot, pair(k, files[i], files[i + 1]))]
    s = sum(tot)
    share = tot[0] / s if s > 0 else float("nan")
    print("TOTAL own %+.3f other novel %+.3f known %+.3f own share %.2f" % (
        *tot, share))


if __name__ == "__main__":
    main()
