#!/bin/sh
# What alert rate limits (detect --suppress 'limit' lines, --alert-limit)
# cost: detect's wall time and peak memory without and with limits, on
# every CIC-IDS2017 row and on a generated spoofed SYN flood whose
# flows all alert, each from its own source; and what they write.
#
# usage: bench/detect_limit.sh BIN GEN MODEL OUT [FLOWS] [RUNS]
#   BIN    a fewflow binary; GEN bench's detect_gen_pcap
#   MODEL  a cic-ids2017 model; OUT a scratch directory
#   FLOWS  flood flows (default 1000000); RUNS per mode (default 5)
# Prints per input and mode: lines written, alerts held, closing
# records, evicted keys, median wall seconds and median peak RSS (MB)
# over RUNS runs, modes alternating.
set -eu
BIN=$1; GEN=$2; MODEL=$3; OUT=$4; FLOWS=${5:-1000000}; RUNS=${6:-5}
HERE=$(dirname "$0")
DATA=${FEWFLOW_DATA:-$HERE/../../shared/data}
CIC=$DATA/cic-ids2017-improved
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1

[ -f "$OUT/all.csv" ] || {
    xz -dc "$CIC/BENIGN_4066_no-thursday.csv.xz" | head -1
    for f in "$CIC"/*.csv.xz; do xz -dc "$f" | tail -n +2; done
} > "$OUT/all.csv"
[ -f "$OUT/flood$FLOWS.pcap" ] || "$GEN" "$OUT/flood$FLOWS.pcap" "$FLOWS" 1
# The flood's target, and 1,023 lines that match nothing before it:
# every alert is compared with every line.
cat > "$OUT/target.conf" <<'EOF'
limit unknown dst 192.168.0.1 track by_dst count 10 seconds 60
EOF
/usr/bin/python3 -c "
for i in range(1023):
    print('limit * src 198.18.%d.%d count 1 seconds 60' % (i // 250, i % 250))
print('limit unknown dst 192.168.0.1 track by_dst count 10 seconds 60')
" > "$OUT/big.conf"

opts() {  # the options of a mode
    case $1 in
        none) echo "" ;;
        cli) echo "--alert-limit 10/60" ;;
        target) echo "--suppress $OUT/target.conf" ;;
        big) echo "--suppress $OUT/big.conf --alert-limit 10/60" ;;
    esac
}

run() {  # run INPUT MODE: appends "MODE SECONDS KB" to $OUT/times
    # shellcheck disable=SC2046
    /usr/bin/time -f "%e %M" -o "$OUT/t.$$" "$BIN" -q detect \
        --model "$MODEL" --explain 0 $1 $(opts "$2") \
        --summary-json "$OUT/s.json" > "$OUT/lines.$2"
    echo "$2 $(cat "$OUT/t.$$")" >> "$OUT/times"
}

for input in csv flood; do
    if [ $input = csv ]; then in="--csv $OUT/all.csv"
    else in="-r $OUT/flood$FLOWS.pcap"; fi
    : > "$OUT/times"
    for i in $(seq "$RUNS"); do
        for mode in none cli target big; do
            run "$in" $mode
            [ "$i" = 1 ] && /usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1])); l = d.get('limited', {})
n = sum(1 for _ in open(sys.argv[2]))
print('%s %s: %d lines, %d held, %d closing records, %d evicted keys' % (
    sys.argv[3], sys.argv[4], n, l.get('alerts', 0), l.get('records', 0),
    l.get('evicted_keys', 0)))" "$OUT/s.json" "$OUT/lines.$mode" $input $mode
        done
    done
    /usr/bin/python3 -c "
import sys, statistics as st
t = {}
for line in open(sys.argv[1]):
    m, s, kb = line.split()
    t.setdefault(m, []).append((float(s), int(kb)))
base = st.median(s for s, _ in t['none'])
for m in ('none', 'cli', 'target', 'big'):
    s = st.median(x for x, _ in t[m]); kb = st.median(k for _, k in t[m])
    print('%s %-6s median %.3f s (x%.3f), peak RSS %.1f MB, %d runs' % (
        sys.argv[2], m, s, s / base, kb / 1024, len(t[m])))" \
        "$OUT/times" $input
done
rm -f "$OUT/t.$$"
