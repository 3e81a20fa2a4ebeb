#!/bin/sh
# Second-order MAML meta-step, fewflow against PyTorch (issue 5).
# Same episode shape on both sides: 5-way 5-shot 15-query, 78 features,
# MLP 78-128-128-64 + 5-way head, meta-batch 4, inner step 0.1, Adam; one
# thread each. For 1, 5 and 10 inner steps it runs the two peers in turn
# ROUNDS times (so both see the same machine load), and prints the median
# CPU time of one outer update (4 episodes; CPU rather than wall time
# because the machine is shared), the ratio, and peak memory:
# fewflow's arena high-water and, for both, the growth of peak RSS over the
# timed steps (PyTorch's own import footprint is excluded that way).
#
# usage: bench/maml_speed.sh [BUILD_DIR]   (default build/; METHOD=fomaml
#        or anil to time another method; ROUNDS=3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
rounds=${ROUNDS:-3}
method=${METHOD:-maml}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
cmake --build "$build" --target fewflow_static >/dev/null
bin=$build/maml_step
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" \
    "$here/maml_step.c" "$build/libfewflow.a" \
    $(pkg-config --libs openblas libpcap liblzma zlib) -lm -o "$bin"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for s in 1 5 10; do
    i=0
    while [ "$i" -lt "$rounds" ]; do
        nice "$bin" --method "$method" --steps "$s" >>"$tmp/c$s"
        nice "$py" "$here/maml_torch.py" speed --method "$method" \
            --train-steps "$s" >>"$tmp/t$s"
        i=$((i + 1))
    done
done
"$py" - "$tmp" "$method" "$rounds" <<'PY'
import json, os, statistics, sys
tmp, method, rounds = sys.argv[1], sys.argv[2], sys.argv[3]
print("method %s, %s rounds, medians; CPU ms of one outer update of "
      "4 episodes" % (method, rounds))
print("%5s %11s %11s %7s %12s %12s %12s" % (
    "steps", "fewflow_ms", "torch_ms", "ratio", "c_arena_KiB",
    "c_rss_KiB", "torch_rss_KiB"))
for s in (1, 5, 10):
    c = [json.loads(l) for l in open(os.path.join(tmp, "c%d" % s))]
    t = [json.loads(l) for l in open(os.path.join(tmp, "t%d" % s))]
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    cm, tm = med(c, "median_step_ms"), med(t, "median_step_ms")
    print("%5d %11.3f %11.3f %6.2fx %12d %12d %12d" % (
        s, cm, tm, tm / cm, med(c, "arena_high_water_kib"),
        med(c, "step_rss_kib"), med(t, "step_rss_kib")))
PY
