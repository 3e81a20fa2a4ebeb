#!/bin/sh
# What a suppression list (detect --suppress) does to the known false
# alarms of the beacon and slow rules, and what it costs.
#
# usage: bench/detect_suppress.sh BIN MODEL OUT
#   BIN    a fewflow binary; MODEL a cic-ids2017 model
#   OUT    a scratch directory (bench/rules_hostile.py's CSVs are made
#          there, and every CIC-IDS2017 row in one CSV)
# Prints, per input: alerts written and suppressed without and with the
# list; then the median wall time of detect over all 37,345 CIC rows
# (--explain 0) with no list and with 1,024 entries that match nothing
# (every alert is compared with every entry), 5 runs each, alternating.
set -eu
BIN=$1; MODEL=$2; OUT=$3
HERE=$(dirname "$0")
DATA=${FEWFLOW_DATA:-$HERE/../../shared/data}
CIC=$DATA/cic-ids2017-improved
mkdir -p "$OUT"
export OPENBLAS_NUM_THREADS=1
[ -d "$OUT/csv" ] || FEWFLOW_DATA=$DATA /usr/bin/python3 \
    "$HERE/rules_hostile.py" "$OUT" > /dev/null

counts() {  # counts CSV [LIST]: "written suppressed" from the summary
    set -- "$1" "${2:-}"
    if [ -n "$2" ]; then s="--suppress $2"; else s=""; fi
    # shellcheck disable=SC2086
    "$BIN" -q detect --model "$MODEL" --csv "$1" --explain 0 $s \
        --summary-json "$OUT/s.json" > /dev/null
    /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
print(d['alerts'], d.get('suppressed', {}).get('alerts', 0))" "$OUT/s.json"
}

cat > "$OUT/poller.conf" <<'EOF'
# the outside API our monitoring server polls every 60 s
beacon dst 205.174.165.73 port 8080 proto tcp
EOF
cat > "$OUT/proxy.conf" <<'EOF'
# the reverse proxy's idle pool to the web server
slow src 192.168.10.9 dst 205.174.165.80 port 80
EOF
printf '%-28s %-12s %s\n' input "no list" "with list (written suppressed)"
for c in bcn_base:poller bcn_missed:poller bcn_v6:poller slow_20:proxy \
         slow_200:proxy; do
    f=$OUT/csv/${c%%:*}.csv; l=$OUT/${c##*:}.conf
    printf '%-28s %-12s %s\n' "${c%%:*}.csv (${c##*:})" "$(counts "$f")" \
        "$(counts "$f" "$l")"
done

# One poller suppressed, a beacon of the same client to another server
# still written: the Botnet rows in time order, one bot's C2 moved.
xz -dc "$CIC/Botnet_736.csv.xz" | awk -F, -v OFS=, 'NR == 1 { print; next }
    $3 == "192.168.10.14" { $5 = "198.51.100.7" } { print | "sort -t, -k8,8" }' \
    > "$OUT/pollers.csv"
printf '%-28s %-12s %s\n' "pollers.csv (poller)" "$(counts "$OUT/pollers.csv")" \
    "$(counts "$OUT/pollers.csv" "$OUT/poller.conf")"

[ -f "$OUT/all.csv" ] || {
    xz -dc "$CIC/BENIGN_4066_no-thursday.csv.xz" | head -1
    for f in "$CIC"/*.csv.xz; do xz -dc "$f" | tail -n +2; done
} > "$OUT/all.csv"
/usr/bin/python3 -c "
for i in range(1024):
    print('* src 198.18.%d.%d dst 10.0.0.0/8 port 443' % (i // 250, i % 250))
" > "$OUT/big.conf"
for i in 1 2 3 4 5; do
    for mode in none big; do
        s=""; [ $mode = big ] && s="--suppress $OUT/big.conf"
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$BIN" -q detect --model "$MODEL" --csv "$OUT/all.csv" --explain 0 \
            $s > /dev/null 2>&1
        t1=$(date +%s.%N)
        echo "$mode $(echo "$t1 - $t0" | bc)" >> "$OUT/times.$$"
    done
done
/usr/bin/python3 -c "
import sys, statistics as st
t = {}
for line in open(sys.argv[1]):
    m, v = line.split(); t.setdefault(m, []).append(float(v))
a, b = st.median(t['none']), st.median(t['big'])
print('all 37,345 CIC rows, --explain 0: no list %.3f s, 1,024 entries '
      '%.3f s (x%.2f), median of 5' % (a, b, b / a))" "$OUT/times.$$"
rm -f "$OUT/times.$$"
