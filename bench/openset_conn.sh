#!/bin/sh
# The connection rule (include/fewflow/conn.h) in `eval --openset`: one
# model evaluated with and without it, each class alone and together,
# with the K=5 recall ceiling of bench/openset_ceiling.py.
#
# usage: bench/openset_conn.sh FEWFLOW MODEL OUT_DIR [eval args]
# e.g.   bench/openset_conn.sh build/fewflow cic1.model /tmp/conn --trials 20
set -eu
ff=$1; model=$2; out=$3
shift 3
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
here=$(dirname "$0")
for mode in alone together; do
    t=""
    [ $mode = together ] && t=--together
    for rule in on off; do
        r=""
        [ $rule = off ] && r=--no-connections
        # shellcheck disable=SC2086
        nice "$ff" -q eval --openset --model "$model" --seed 1 --json $t $r \
            "$@" > "$out/$rule.$mode.json"
    done
done
/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print("%-14s %-13s %-13s %-13s %6s %6s %7s" % (
    "run", "K=1 P/R", "K=5 P/R", "K=10 P/R", "AUROC", "FPR%", "linked"))
for mode in ("alone", "together"):
    for rule in ("off", "on"):
        j = json.load(open(os.path.join(out, "%s.%s.json" % (rule, mode))))
        m = j["mean"]
        pr = lambda k: "%.3f/%.3f" % (m[k]["precision"], m[k]["recall"])
        print("%-14s %-13s %-13s %-13s %6.3f %6.2f %7d" % (
            rule + "." + mode, pr("1"), pr("5"), pr("10"), j["auroc"],
            100 * j["benign_fpr"], j["connections"]["linked_rows"]))
PY
for rule in off on; do
    echo "ceiling, $rule:"
    "$here/openset_ceiling.py" "$out/$rule.alone.json" | awk '$2 == "MEAN"'
done
