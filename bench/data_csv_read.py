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


def time_fewflow(binary, path, runs, tmp):
    """Median wall time; peak RSS from GNU time in one extra run (the
    children's rusage would include the forked Python interpreter)."""
    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([binary, "-q", "data", "inspect", path], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    rss_file = os.path.join(tmp, "rss")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, binary,
                    "-q", "data", "inspect", path], check=True,
                   stdout=subprocess.DEVNULL)
    with open(rss_file) as f:
        rss_kib = int(f.read().split()[-1])
    return statistics.median(times), statistics.median(cpus), rss_kib


def pandas_peak_rss(path, header, tmp):
    """Peak RSS of a fresh interpreter that imports pandas and reads, from
    GNU time (rusage of a child forked from this interpreter would count
    the parent's pages too)."""
    code = ("import sys, pandas as pd; "
            f"pd.read_csv(sys.argv[1], header={header!r}, low_memory=False)")
    rss_file = os.path.join(tmp, "rss")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file,
                    sys.executable, "-c", code, path], check=True)
    with open(rss_file) as f:
        return int(f.read().split()[-1])


def time_pandas(path, header, runs):
    times, cpus = [], []
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        frame = pd.read_csv(path, header=header, low_memory=False)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        del frame
    return statistics.median(times), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/fewflow")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=os.environ.get(
        "FEWFLOW_DATA", os.path.join("..", "shared", "data")))
    args = ap.parse_args()

    print(f"pandas {pd.__version__}, {args.runs} runs, medians in seconds")
    print("wall = elapsed seconds, cpu = user+sys seconds; ratio = pandas / "
          "fewflow")
    print(f"{'file':34} {'input':5} {'wall ff':>8} {'wall pd':>8} "
          f"{'ratio':>6} {'cpu ff':>7} {'cpu pd':>7} {'ratio':>6} "
          f"{'rss ff':>7} {'rss pd':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for rel, header in FILES:
            xz_path = os.path.join(args.data, rel)
            plain = os.path.join(tmp, os.path.basename(rel)[:-3])
            with lzma.open(xz_path) as src, open(plain, "wb") as dst:
                dst.write(src.read())
            for kind, path in (("plain", plain), ("xz", xz_path)):
                ff, ffc, rss = time_fewflow(args.bin, path, args.runs, tmp)
                pdt, pdc = time_pandas(path, header, args.runs)
                prss = pandas_peak_rss(path, header, tmp)
                print(f"{os.path.basename(rel)[:-3][:34]:34} {kind:5} "
                      f"{ff:8.3f} {pdt:8.3f} {pdt / ff:5.1f}x "
                      f"{ffc:7.3f} {pdc:7.3f} {pdc / ffc:5.1f}x "
                      f"{rss / 1024:4.0f}MiB {prss / 1024:4.0f}MiB")
            os.unlink(plain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
