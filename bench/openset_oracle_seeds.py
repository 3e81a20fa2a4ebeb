#!/usr/bin/python3
"""Side by side: the mean P / R of each stage of several openset_oracle
outputs (one per model seed), and their mean over the files.

usage: bench/openset_oracle_seeds.py OUT1.txt OUT2.txt ...
"""
import re
import sys


def read(path):
    """{space: {stage label: (P, R)}} from one openset_oracle output."""
    out, space = {}, None
    for line in open(path):
        head = re.match(r"^(\S.*?) space, ", line)
        if head:
            space = head.group(1)
            out[space] = {}
            continue
        mean = re.search(r"\*\*([0-9.]+) / ([0-9.]+)\*\*", line)
        if space and line.startswith("| ") and mean:
            # the chosen trade-off or multiplier differs per file
            label = re.sub(r" \((lambda )?[0-9.e+-]+\)", "",
                           line[2:].split(" |")[0])
            out[space][label] = (float(mean.group(1)), float(mean.group(2)))
    return out


def main(paths):
    runs = [read(p) for p in paths]
    for space in runs[0]:
        print(f"\n{space} space: mean P / R over the five novel classes\n")
        print("| stage | " + " | ".join(paths) + " | mean |")
        print("|---|" + "---:|" * (len(paths) + 1))
        for label in runs[0][space]:
            cells = [r.get(space, {}).get(label) for r in runs]
            have = [c for c in cells if c]
            text = [f"{c[0]:.3f} / {c[1]:.3f}" if c else "-" for c in cells]
            p = sum(c[0] for c in have) / len(have)
            r = sum(c[1] for c in have) / len(have)
            print(f"| {label} | " + " | ".join(text) +
                  f" | **{p:.3f} / {r:.3f}** |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
