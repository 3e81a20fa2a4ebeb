#!/usr/bin/env bash
# Flow extraction benchmark: fewflow flows against argus, tshark and
# ndpiReader on one capture that this script writes itself (2.1M packets,
# 140,000 flows all open at once; see gen_flows_capture.py). Prints, per
# tool, the median CPU time (user + sys: the machine is shared, so wall time
# mostly measures the neighbours), median wall time, packets per CPU second,
# peak resident memory (/usr/bin/time -v) and the CPU-time ratio to fewflow.
#
# usage: bench/capture_flows.sh [RUNS]   (FEWFLOW_BIN, BENCH_CAPTURE, FLOWS,
#        ROUNDS override the binary, the capture path and its size)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${FEWFLOW_BIN:-$here/../build/fewflow}
cap=${BENCH_CAPTURE:-/tmp/fewflow-bench-flows.pcap}
flows=${FLOWS:-140000}
rounds=${ROUNDS:-15}
runs=${1:-3}
work=$(mktemp -d /tmp/fewflow-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -x "$bin" ] || { echo "no fewflow binary at $bin (build first)" >&2; exit 2; }
for t in argus tshark ndpiReader; do
    command -v "$t" >/dev/null || {
        echo "$t missing: scripts/install-deps --bench" >&2; exit 2; }
done
if [ ! -s "$cap" ]; then
    echo "writing $cap ($flows flows x $rounds packets)" >&2
    /usr/bin/python3 "$here/gen_flows_capture.py" "$cap" "$flows" "$rounds"
fi
packets=$((flows * rounds))

# One timed run: prints "cpu_s wall_s peak_kb".
timed() {
    /usr/bin/time -f "%U %S %e %M" -o "$work/time" "$@" \
        >"$work/out" 2>"$work/err" || {
        echo "failed: $*" >&2; tail -3 "$work/err" >&2; exit 1; }
    awk '{ printf "%.3f %.3f %d\n", $1 + $2, $3, $4 }' "$work/time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench NAME RUNS CMD...: prints one result line.
bench() {
    local name=$1 n=$2; shift 2
    : >"$work/runs"
    for _ in $(seq "$n"); do
        rm -f "$work/argus.out"
        timed "$@" >>"$work/runs"
    done
    local cpu wall mem
    cpu=$(cut -d' ' -f1 "$work/runs" | median)
    wall=$(cut -d' ' -f2 "$work/runs" | median)
    mem=$(cut -d' ' -f3 "$work/runs" | sort -n | tail -1)
    echo "$name $cpu $wall $mem $n"
}

{
    bench fewflow "$runs" "$bin" -q flows -r "$cap" -o "$work/flows.csv"
    bench argus "$runs" argus -r "$cap" -w "$work/argus.out"
    bench ndpiReader "$runs" ndpiReader -i "$cap" -q
    # tshark takes tens of seconds and >1 GB: one run unless asked for more.
    bench tshark "${TSHARK_RUNS:-1}" tshark -r "$cap" -q -z conv,tcp \
        -z conv,udp
} >"$work/results"

echo "capture: $cap ($packets packets, $flows concurrent flows)"
echo "machine: $(nproc) cores, $(uname -r); shared with other jobs"
printf "%-11s %9s %9s %12s %9s %5s %14s\n" tool cpu_s wall_s \
    pkts/cpu_s peak_MB runs cpu_vs_fewflow
base=$(awk '$1 == "fewflow" { print $2 }' "$work/results")
while read -r name cpu wall mem n; do
    awk -v n="$name" -v c="$cpu" -v w="$wall" -v m="$mem" -v r="$n" \
        -v p="$packets" -v b="$base" 'BEGIN {
        printf "%-11s %9.2f %9.2f %12.0f %9.0f %5d %13.1fx\n",
               n, c, w, p / c, m / 1024, r, c / b }'
done <"$work/results"
