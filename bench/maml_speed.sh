#!/bin/sh
# Second-order MAML meta-step, fewflow against PyTorch (issue 5).
# Same episode shape on both sides: 5-way 5-shot 15-query, 78 features,
# MLP 78-128-128-64 + 5-way head, meta-batch 4, inner step 0.1, Adam; one
# thread each. Prints the median time of one outer update (4 episodes),
# the ratio, and peak memory for 1, 5 and 10 inner steps.
#
# usage: bench/maml_speed.sh [BUILD_DIR]   (default build/, built first)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
cmake --build "$build" --target fewflow_static >/dev/null
bin=$build/maml_step
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" \
    "$here/maml_step.c" "$build/libfewflow.a" \
    $(pkg-config --libs openblas libpcap liblzma zlib) -lm -o "$bin"
py=/usr/bin/python3
method=${METHOD:-maml}
printf '%-6s %5s %12s %12s %7s %12s %12s %12s\n' method steps \
    fewflow_ms torch_ms ratio c_arena_KiB c_rss_KiB torch_rss_KiB
for s in 1 5 10; do
    c=$(nice "$bin" --method "$method" --steps "$s")
    t=$(nice "$py" "$here/maml_torch.py" speed --method "$method" \
        --train-steps "$s")
    echo "$c" >&2
    echo "$t" >&2
    "$py" - "$c" "$t" <<'PY'
import json, sys
c, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("%-6s %5d %12.3f %12.3f %6.2fx %12d %12d %12d" % (
    c["method"], c["inner_steps"], c["median_step_ms"],
    t["median_step_ms"], t["median_step_ms"] / c["median_step_ms"],
    c["arena_high_water_kib"], c["step_rss_kib"], t["step_rss_kib"]))
PY
done
