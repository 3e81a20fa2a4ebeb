#!/usr/bin/python3
"""Times reading the largest shared flow CSVs: `fewflow data inspect` against
pandas.read_csv on the same bytes.

Both read (1) the decompressed plain CSV from a temporary file and (2) the
.xz file directly. fewflow is timed as a whole process (start-up, parsing,
profile, one-hot encoding, duplicate counting, report); pandas is timed
inside an already running interpreter around read_csv alone, which favours
pandas. Medians over --runs runs; the ratio is pandas time / fewflow time.

usage: bench/data_csv_read.py [--bin build/fewflow] [--runs 5]
Run from the repository root after building; needs python3-pandas (Debian).
"""
import argparse
import lzma
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

FILES = [
    # (path under the data directory, pandas header argument)
    ("nsl-kdd/KDDTrain+.txt.xz", None),
    ("cic-ids2017-mlcve-subset/Tuesday-WorkingHours_balanced.csv.xz", 0),
    ("unsw-nb15/UNSW_NB15_training-set.csv.xz", 0),
]


def time_fewflow(binary, path, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([binary, "-q", "data", "inspect", path], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return statistics.median(times), rss_kib


def time_pandas(path, header, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        frame = pd.read_csv(path, header=header, low_memory=False)
        times.append(time.perf_counter() - t0)
        del frame
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/fewflow")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=os.environ.get(
        "FEWFLOW_DATA", os.path.join("..", "shared", "data")))
    args = ap.parse_args()

    print(f"pandas {pd.__version__}, {args.runs} runs, medians in seconds")
    print(f"{'file':48} {'input':5} {'fewflow':>8} {'pandas':>8} "
          f"{'ratio':>6} {'fewflow maxrss':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for rel, header in FILES:
            xz_path = os.path.join(args.data, rel)
            plain = os.path.join(tmp, os.path.basename(rel)[:-3])
            with lzma.open(xz_path) as src, open(plain, "wb") as dst:
                dst.write(src.read())
            for kind, path in (("plain", plain), ("xz", xz_path)):
                ff, rss = time_fewflow(args.bin, path, args.runs)
                pdt = time_pandas(path, header, args.runs)
                print(f"{os.path.basename(rel)[:-3]:48} {kind:5} {ff:8.3f} "
                      f"{pdt:8.3f} {pdt / ff:5.1f}x {rss / 1024:12.0f} MiB")
            os.unlink(plain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
