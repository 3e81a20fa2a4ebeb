#!/usr/bin/python3
"""Times reading the largest shared flow CSVs: `fewflow data inspect` against
pandas.read_csv on the same bytes.

Both read (1) the decompressed plain CSV from a temporary file and (2) the
.xz file directly. fewflow is timed as a whole process (start-up, parsing,
profile, one-hot encoding, label, non-finite and duplicate counts, report).
pandas is timed inside an already running interpreter twice:
  "read"  read_csv alone (typed columns, no encoding, no counts), which
          favours pandas; this is the headline ratio;
  "same"  read_csv plus the rest of what `data inspect` computes: label
          counts, non-finite counts per numeric column, the profile's
          one-hot float32 matrix (get_dummies) and duplicate counts of
          whole rows and of feature vectors.
Medians over --runs runs; ratio = pandas time / fewflow time, for wall
time (elapsed) and CPU time (user + sys) separately.

usage: bench/data_csv_read.py [--bin build/fewflow] [--runs 5]
Run from the repository root after building (the default RelWithDebInfo
build, -O2); needs python3-pandas (Debian). Run it with Debian's python
(/usr/bin/python3) and without OPENBLAS_NUM_THREADS, as a user would
start fewflow: `env -u OPENBLAS_NUM_THREADS /usr/bin/python3
bench/data_csv_read.py --runs 7`.
"""
import argparse
import json
import lzma
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

FILES = [
    # (path under the data directory, pandas header argument, label,
    #  columns the profile drops, categorical columns): the same choices
    # fewflow's profiles make (docs/data.md).
    ("nsl-kdd/KDDTrain+.txt.xz", None, 41, [42], [1, 2, 3]),
    ("cic-ids2017-mlcve-subset/Tuesday-WorkingHours_balanced.csv.xz", 0,
     "Label", ["Destination Port"], []),
    ("unsw-nb15/UNSW_NB15_training-set.csv.xz", 0, "attack_cat",
     ["id", "label"], ["proto", "service", "state"]),
]


def pandas_inspect(path, header, label, drop, cat):
    """read_csv, then what `fewflow data inspect` reports besides."""
    df = pd.read_csv(path, header=header, low_memory=False)
    if header is not None:
        df.columns = [str(c).strip() for c in df.columns]
    labels = df[label].astype(str).str.strip().value_counts()
    feats = df.drop(columns=[label] + drop)
    num = feats.drop(columns=cat).to_numpy(dtype=np.float64)
    nonfinite = (~np.isfinite(num)).sum(axis=0)
    x = pd.get_dummies(feats, columns=cat, dtype=np.float32)
    x = x.astype(np.float32)
    dup_lines = int(df.duplicated().sum())
    dup_features = int(x.duplicated().sum())
    return len(df), len(labels), int(nonfinite.sum()), dup_lines, dup_features


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


def time_pandas(work, runs):
    times, cpus = [], []
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        del result
    return statistics.median(times), statistics.median(cpus)


def counts_agree(binary, path, pandas_counts):
    """Whether fewflow's report says what pandas found (so both did the
    same work): rows, classes, non-finite values, duplicate lines and
    duplicate feature vectors."""
    out = subprocess.run([binary, "-q", "data", "inspect", "--json", path],
                         check=True, capture_output=True).stdout
    r = json.loads(out)
    ours = (r["rows"], len(r["labels"]), r["nonfinite"]["total"],
            r["duplicates"]["lines"], r["duplicates"]["features"])
    return "same counts" if ours == pandas_counts else \
        f"COUNTS DIFFER fewflow {ours} pandas {pandas_counts}"


def build_type(binary):
    """CMAKE_BUILD_TYPE of the build tree the binary sits in, if known."""
    cache = os.path.join(os.path.dirname(os.path.abspath(binary)),
                         "CMakeCache.txt")
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return (line.split("=", 1)[1].strip() or
                            "RelWithDebInfo, CMakeLists.txt's default")
    except OSError:
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/fewflow")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=os.environ.get(
        "FEWFLOW_DATA", os.path.join("..", "shared", "data")))
    args = ap.parse_args()

    print(f"fewflow {args.bin} ({build_type(args.bin)} build), pandas "
          f"{pd.__version__}, {args.runs} runs, medians in seconds; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print("wall = elapsed s, cpu = user+sys s; ratio = pandas / fewflow; "
          "pd read = read_csv alone, pd same = read_csv + inspect's work")
    print(f"{'file':22} {'input':5} {'ff wall':>7} {'ff cpu':>6} "
          f"{'pd read wall':>12} {'cpu':>6} {'ratio w/c':>11} "
          f"{'pd same wall':>12} {'cpu':>6} {'ratio w/c':>11} "
          f"{'rss ff':>7} {'rss pd':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for rel, header, label, drop, cat in FILES:
            xz_path = os.path.join(args.data, rel)
            plain = os.path.join(tmp, os.path.basename(rel)[:-3])
            with lzma.open(xz_path) as src, open(plain, "wb") as dst:
                dst.write(src.read())
            for kind, path in (("plain", plain), ("xz", xz_path)):
                ff, ffc, rss = time_fewflow(args.bin, path, args.runs, tmp)
                rd, rdc = time_pandas(lambda: pd.read_csv(
                    path, header=header, low_memory=False), args.runs)
                sm, smc = time_pandas(lambda: pandas_inspect(
                    path, header, label, drop, cat), args.runs)
                prss = pandas_peak_rss(path, header, tmp)
                agree = counts_agree(args.bin, path, pandas_inspect(
                    path, header, label, drop, cat))
                print(f"{os.path.basename(rel)[:-3][:22]:22} {kind:5} "
                      f"{ff:7.3f} {ffc:6.3f} "
                      f"{rd:12.3f} {rdc:6.3f} {rd / ff:4.1f}x/{rdc / ffc:4.1f}x "
                      f"{sm:12.3f} {smc:6.3f} {sm / ff:4.1f}x/{smc / ffc:4.1f}x "
                      f"{rss / 1024:4.0f}MiB {prss / 1024:4.0f}MiB {agree}",
                      flush=True)
            os.unlink(plain)
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
