#!/usr/bin/python3
"""Recall an enrolled class can reach under any radius rule, from the JSON
of `fewflow eval --openset --json`.

A flow is decided benign only when a benign class holds it and is the
nearest class of all (memo_decide_from), so no radius given to the
enrolled class can take such a row: with the support flows as its
prototypes, its recall is at most 1 - missed.benign. Rows missed as
unknown are the ones a wider radius can win (not all: one nearer to a
known class that does not hold it, and to benign before the enrolled
class, stays unknown); rows missed to a known attack class may go either
way. Prints, per K, precision, recall, recall + unknown (about what
widening reaches) and 1 - benign (the ceiling), with the known misses.

usage: bench/openset_ceiling.py EVAL.json
"""
import json
import sys


def main():
    j = json.load(open(sys.argv[1]))
    cls = j["enrolled"]
    shots = sorted(next(iter(cls.values())).keys(), key=int)
    print("%-4s %-20s %6s %6s %6s %6s %6s" % (
        "K", "class", "P", "R", "R+unk", "1-ben", "known"))
    for k in shots:
        acc = [0.0] * 5
        for name, by_k in sorted(cls.items()):
            c = by_k[k]
            miss = c["missed"]
            row = (c["precision"], c["recall"],
                   c["recall"] + miss["unknown"], 1 - miss["benign"],
                   miss["known"])
            acc = [a + v for a, v in zip(acc, row)]
            print("%-4s %-20s %6.3f %6.3f %6.3f %6.3f %6.3f" % (
                k, name, *row))
        n = len(cls)
        print("%-4s %-20s %6.3f %6.3f %6.3f %6.3f %6.3f" % (
            k, "MEAN", *[a / n for a in acc]))


if __name__ == "__main__":
    main()
