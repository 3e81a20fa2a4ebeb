#!/bin/sh
# Open-set validation without the meta-test classes: leave-two-out folds
# over cic-ids2017's four training attacks (a protocol needs two test
# classes). Each fold meta-trains on BENIGN and the two other attacks and
# runs `eval --openset` with the left-out pair as the novel classes; the
# real test classes (Slowloris, Slowhttptest, FTP-Patator, SSH-Patator,
# Botnet) are not read at all.
# Settings for enrolment and training are chosen on these figures.
#
# usage: bench/openset_loco.sh BUILD_DIR OUT_DIR [TAG] [-- train args
#        [-- eval args]]
# prints one line per fold, the mean over folds (K=1,5,10 P/R) and the
# selection criteria C5 and C. Compare methods with `-- ... -- --trials 20`.
#
# SEEDS="4 5 6" bench/openset_loco.sh ...: every fold is trained and
# evaluated at each seed (train --seed S, eval --seed S; files
# TAG.sS.FOLD.*), with that block printed per seed and the criteria
# averaged over the seeds. Compare two tags run at the same seeds with
# `bench/openset_folds.py paired OUT TAG_A TAG_B 4 5 6` (paired per-seed
# differences of C5 and C, mean and 95% t interval). SEEDS unset: one run
# at seed 1, files TAG.FOLD.*, output as before.
#
# MODELS=TAG0: no training; every fold is evaluated on TAG0's model of
# the same fold and seed (already in OUT_DIR), for candidates that change
# only the evaluation (the train args are then ignored).
set -eu
build=$1; out=$2; tag=${3:-default}
shift 2
if [ $# -gt 0 ]; then shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
targs=""; eargs=""; side=t
for a in "$@"; do
    if [ "$a" = "--" ]; then side=e; continue; fi
    if [ $side = t ]; then targs="$targs $a"; else eargs="$eargs $a"; fi
done
ff=$build/fewflow
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out/proto"
data="cic-ids2017-improved/BENIGN_*.csv.xz, cic-ids2017-improved/DDoS_*.csv.xz,
  cic-ids2017-improved/DoS_Hulk_*.csv.xz,
  cic-ids2017-improved/DoS_GoldenEye_*.csv.xz,
  cic-ids2017-improved/Portscan_*.csv.xz"
# eval --openset finds a model's protocol by the name recorded in it, to
# take the known classes' test rows from the encoder-unseen held-out rows.
export FEWFLOW_PROTOCOLS="$out/proto"
fold() {   # name "test classes" "train classes"
    p=$out/proto/loco-$1.proto
    {
        echo "name: loco-$1"
        echo "data: $data"
        echo "train: $3"
        echo "test: $2"
        echo "val_fraction: 0.2"
    } > "$p"
    m=$out$run.$1.model; lg=$m.log
    if [ -n "${MODELS:-}" ]; then
        m=$out$reuse.$1.model
    else
        # shellcheck disable=SC2086
        nice "$ff" train --protocol "$p" --seed "$seed" $targs -o "$m" \
            2>"$lg"
    fi
    # shellcheck disable=SC2086
    nice "$ff" eval --openset --model "$m" --trials 5 --seed "$seed" \
        --json $eargs > "$out$run.$1.json" 2>>"$lg"
}
folds() {
    fold ddos-portscan "DDoS, Portscan" "BENIGN, DoS Hulk, DoS GoldenEye"
    fold hulk-goldeneye "DoS Hulk, DoS GoldenEye" "BENIGN, DDoS, Portscan"
    fold ddos-hulk "DDoS, DoS Hulk" "BENIGN, DoS GoldenEye, Portscan"
    fold goldeneye-portscan "DoS GoldenEye, Portscan" \
        "BENIGN, DDoS, DoS Hulk"
    fold ddos-goldeneye "DDoS, DoS GoldenEye" "BENIGN, DoS Hulk, Portscan"
    fold hulk-portscan "DoS Hulk, Portscan" "BENIGN, DDoS, DoS GoldenEye"
}
summary=$(dirname "$0")/openset_folds.py
if [ -z "${SEEDS:-}" ]; then
    seed=1; run=/$tag; reuse=/${MODELS:-}
    folds
    /usr/bin/python3 "$summary" summary "$out" "$tag"
else
    for seed in $SEEDS; do
        run=/$tag.s$seed; reuse=/${MODELS:-}.s$seed
        folds
    done
    # shellcheck disable=SC2086
    /usr/bin/python3 "$summary" summary "$out" "$tag" $SEEDS
fi
