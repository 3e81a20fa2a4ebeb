#!/usr/bin/env bash
# Few-shot accuracy of every learner on every shipped protocol at 1, 5 and
# 10 shots (5-way, 15 queries, 1000 test episodes, seed 1), with 1-NN and
# logistic regression on the very same episodes, and the meta-training
# speed. Prints one markdown table row per learner x protocol x shot.
#
#   bench/meta_grid.sh [BUILD_DIR] [OUT_DIR]
#   METHODS="protonet siamese" PROTOCOLS=nsl-kdd SHOTS="1 5" EPISODES=300 \
#       bench/meta_grid.sh
set -euo pipefail
build=${1:-build}
out=${2:-/tmp/fewflow-meta-grid}
methods=${METHODS:-"default protonet siamese triplet baseline"}
protocols=${PROTOCOLS:-"cic-ids2017 nsl-kdd unsw-nb15"}
shots=${SHOTS:-"1 5 10"}
episodes=${EPISODES:-1000}
train_extra=${TRAIN_ARGS:-}
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1
bin="${FEWFLOW_BIN:-$build/fewflow}"

row() {  # json file, method, protocol, shot, speed, train command
    /usr/bin/env python3 - "$@" <<'PY'
import json, sys
f, method, proto, shot, speed, cmd = sys.argv[1:7]
d = json.load(open(f))
b = d["baselines"]
fmt = lambda a, h: "%.1f ± %.1f" % (100 * a, 100 * h)
print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | `%s` |" % (
    method, proto, shot, fmt(d["accuracy"], d["ci95"]),
    fmt(b["knn1"]["accuracy"], b["knn1"]["ci95"]),
    fmt(b["logreg"]["accuracy"], b["logreg"]["ci95"]),
    "%+.1f ± %.1f" % (100 * b["knn1"]["diff"], 100 * b["knn1"]["diff_ci95"]),
    "%+.1f ± %.1f" % (100 * b["logreg"]["diff"],
                      100 * b["logreg"]["diff_ci95"]), speed, cmd))
PY
}

echo "| learner | protocol | shot | accuracy % | 1-NN % | logreg % |" \
     "learner − 1-NN | learner − logreg | train episodes/s | train command |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for proto in $protocols; do
    for method in $methods; do
        model="$out/$method-$proto.ffm"
        margs=""
        [ "$method" != default ] && margs="--method $method"
        cmd="fewflow train --protocol $proto $margs $train_extra --seed 1 -o M"
        nice "$bin" train --protocol "$proto" $margs $train_extra --seed 1 \
            -o "$model" 2>"$out/$method-$proto.log"
        speed=$(sed -n 's/.*steps alone \([0-9.]*\) episodes\/s.*/\1/p' \
            "$out/$method-$proto.log")
        for shot in $shots; do
            json="$out/$method-$proto-$shot.json"
            nice "$bin" -q eval --model "$model" --shot "$shot" \
                --episodes "$episodes" --seed 1 --baselines --json >"$json"
            row "$json" "$method" "$proto" "$shot" "$speed" "$cmd"
        done
    done
done
