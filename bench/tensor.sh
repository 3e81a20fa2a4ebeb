#!/usr/bin/env bash
# Tensor engine against PyTorch 1.13 (Debian's python3-torch) on the same
# ProtoNet step and second-order MAML meta-step, one thread each unless
# THREADS says otherwise. Prints each run and the medians and ratios.
# The library is built as users get it by default (RelWithDebInfo, -O2).
# usage: bench/tensor.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
export OPENBLAS_NUM_THREADS=${THREADS:-1} OMP_NUM_THREADS=${THREADS:-1}

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFEWFLOW_TESTS=OFF >/dev/null
nice cmake --build build-bench --target fewflow_static -j2 >/dev/null
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
    bench/bench_tensor.c build-bench/libfewflow.a -lopenblas -lm \
    -o build-bench/bench_tensor

median() {
    sort -g | awk '{a[NR] = $1}
        END {n = NR; h = int(n / 2)
             print (n % 2) ? a[h + 1] : (a[h] + a[h + 1]) / 2}'
}
field() {
    awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
med() { printf '%s\n' "$@" | median; }

# Runs alternate between the two so that load from other jobs on the
# machine falls on both alike; CPU-time rates are reported beside wall-time
# ones because they are far steadier on a shared machine.
for mode in protonet maml; do
    steps=$([ "$mode" = maml ] && echo 300 || echo 3000)
    tsteps=$([ "$mode" = maml ] && echo 90 || echo 900)
    cw=() cc=() tw=() tc=()
    for _ in $(seq "$runs"); do
        out=$(nice build-bench/bench_tensor "$mode" "$steps")
        echo "fewflow $out"
        cw+=("$(echo "$out" | field steps_per_s)")
        cc+=("$(echo "$out" | field steps_per_cpu_s)")
        out=$(nice /usr/bin/python3 bench/bench_tensor_torch.py \
              "$mode" "$tsteps")
        echo "pytorch $out"
        tw+=("$(echo "$out" | field steps_per_s)")
        tc+=("$(echo "$out" | field steps_per_cpu_s)")
    done
    a=$(med "${cw[@]}") b=$(med "${tw[@]}")
    c=$(med "${cc[@]}") d=$(med "${tc[@]}")
    echo "$mode wall: fewflow $a steps/s, pytorch $b steps/s," \
         "ratio $(ratio "$a" "$b")x"
    echo "$mode cpu:  fewflow $c steps/cpu-s, pytorch $d steps/cpu-s," \
         "ratio $(ratio "$c" "$d")x"
done
