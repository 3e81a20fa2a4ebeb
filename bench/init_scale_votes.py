#!/usr/bin/python3
"""Which encoder init scale `train --init-scale auto` kept, per protocol.

Usage: bench/init_scale_votes.py TAG LOG.jsonl...

LOG lines come from bench/maml_grid.sh with TRAIN_ARGS="--init-scale auto"
(each line carries the model's init_scale). Every run's choice was made on
validation data only; the protocol's maml_init_scale is the scale most
runs kept (kaiming on a tie), so the choice for a dataset rests on many
seeds and cells instead of one run's validation noise.
"""
import collections
import json
import sys

NAMES = {1.0: "kaiming", 0.408248: "torch"}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    tag, votes = argv[1], collections.defaultdict(collections.Counter)
    for path in argv[2:]:
        for line in open(path):
            row = json.loads(line)
            if row.get("tag") != tag or "init_scale" not in row:
                continue
            scale = NAMES.get(round(row["init_scale"], 6), row["init_scale"])
            votes[row["protocol"]][scale] += 1
            votes[row["protocol"], row["method"], row["shot"]][scale] += 1
    for key in sorted(votes, key=str):
        c = votes[key]
        if isinstance(key, str):
            win = "torch" if c["torch"] > c["kaiming"] else "kaiming"
            print(f"{key}: kaiming {c['kaiming']}, torch {c['torch']} "
                  f"-> maml_init_scale: {win}")
        else:
            print(f"  {' '.join(map(str, key))}: kaiming {c['kaiming']}, "
                  f"torch {c['torch']}")


if __name__ == "__main__":
    main(sys.argv)
