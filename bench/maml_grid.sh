#!/usr/bin/env bash
# Issue 5's accuracy grid at several training seeds: every protocol x
# maml/fomaml x 1/5-shot, 5-way, 2,000 training episodes (500 updates of 4),
# 1,000 test episodes, for fewflow and/or the PyTorch peer. One JSON line
# per run is appended to LOG; runs already in LOG are skipped, so an
# interrupted grid resumes. bench/maml_table.py turns LOG into tables.
#
#   bench/maml_grid.sh LOG
#   IMPLS="fewflow torch" SEEDS="1 2 3" PROTOCOLS=nsl-kdd METHODS=fomaml \
#       SHOTS=1 TAG=before TRAIN_ARGS="--zero-head" bench/maml_grid.sh LOG
# IMPLS may also name torch-func (the functorch peer) or torch-kaiming.
# DUMPS=DIR makes the peers read DIR/PROTOCOL.idx/.f32 (written by
# `maml_torch.py dump --protocol P --out DIR/P`: the same rows as their
# own loader gives, without re-reading the CSVs each run).
# fewflow's lines carry the model's init_scale (1 unless --init-scale was
# given); TRAIN_LOG=FILE appends train's "init scale" log lines (the
# validation figures of --init-scale auto) to FILE, one run after another.
set -euo pipefail
log=${1:?usage: maml_grid.sh LOG}
impls=${IMPLS:-"fewflow torch"}
seeds=${SEEDS:-"1 2 3"}
protocols=${PROTOCOLS:-"unsw-nb15 cic-ids2017 nsl-kdd"}
methods=${METHODS:-"maml fomaml"}
shots=${SHOTS:-"1 5"}
tag=${TAG:-run}
train_extra=${TRAIN_ARGS:-}
bin=${FEWFLOW_BIN:-build/fewflow}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
touch "$log"

peer() {  # extra peer flags; uses p, m, k, s of one()
    nice /usr/bin/python3 "$here/maml_torch.py" accuracy "$@" \
        --protocol "$p" --method "$m" --shot "$k" --seed "$s"
}

one() {  # impl protocol method shot seed -> JSON on stdout
    local impl=$1 p=$2 m=$3 k=$4 s=$5 src=()
    [ -n "${DUMPS:-}" ] && src=(--dump "$DUMPS/$p")
    case $impl in
    fewflow)
        nice "$bin" train --protocol "$p" --method "$m" --shot "$k" \
            --episodes 500 --seed "$s" $train_extra -o "$tmp/m.ffm" \
            2> "$tmp/train.err" || { cat "$tmp/train.err" >&2; return 1; }
        if [ -n "${TRAIN_LOG:-}" ]; then
            grep 'init scale' "$tmp/train.err" |
                sed "s|^|$p $m $k seed $s: |" >> "$TRAIN_LOG" || true
        fi
        nice "$bin" -q eval --model "$tmp/m.ffm" --shot "$k" \
            --episodes 1000 --seed 1 --json ;;
    torch) peer "${src[@]}" ;;
    torch-func) peer "${src[@]}" --impl functorch ;;
    torch-kaiming) peer "${src[@]}" --init kaiming ;;
    esac
}

for s in $seeds; do for p in $protocols; do for m in $methods; do
for k in $shots; do for impl in $impls; do
    key="\"tag\": \"$tag\", \"impl\": \"$impl\", \"protocol\": \"$p\","
    key+=" \"method\": \"$m\", \"shot\": $k, \"seed\": $s"
    grep -qF "$key" "$log" && continue
    t0=$(date +%s)
    out=$(one "$impl" "$p" "$m" "$k" "$s" | tail -1)
    acc=$(printf '%s' "$out" | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
s = d.get("init_scale")
print("\"accuracy\": %s, \"ci95\": %s" % (d["accuracy"], d["ci95"]) +
      ("" if s is None else ", \"init_scale\": %g" % s))')
    wall=$(( $(date +%s) - t0 ))
    echo "{$key, $acc, \"wall_s\": $wall}" >> "$log"
done; done; done; done; done
