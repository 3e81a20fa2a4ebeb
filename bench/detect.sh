#!/usr/bin/env bash
# Detection measurements for bench/RESULTS.md, "Detection (issue 7)":
#   1. eval --openset on every shipped protocol (AUROC, enrolled precision
#      and recall at K = 1, 5, 10, benign false-alarm rate);
#   2. detect on the real captures in $FEWFLOW_DATA/pcaps with a model
#      trained only on the CIC-IDS2017 CSV (fractions per capture);
#   3. dns-tunnel enrolled from five flows of one capture, detect on the
#      other;
#   4. speed: flows/s through normaliser + encoder + decision
#      (bench/detect_speed.c), and packets/s end to end with peak memory
#      on a generated capture of 1,000,000 packets (bench/detect_gen_pcap.c).
#
# usage: bench/detect.sh [OUTDIR]     (default /tmp/fewflow-bench-detect)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/fewflow-bench-detect}
data=${FEWFLOW_DATA:-$(cd ../shared/data && pwd)}
export FEWFLOW_DATA=$data
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
mkdir -p "$out"

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j 2 --target fewflow fewflow_static >/dev/null
ff=build-bench/fewflow
libs="$(pkg-config --libs libpcap liblzma zlib openblas) -lm -lpthread"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
    bench/detect_speed.c build-bench/libfewflow.a $libs -o "$out/detect_speed"
cc -O2 -o "$out/detect_gen_pcap" bench/detect_gen_pcap.c -lpcap

echo "== 1. eval --openset per protocol (seed 1, 5 trials)"
for p in cic-ids2017 unsw-nb15 nsl-kdd; do
    [ -f "$out/$p.model" ] ||
        "$ff" -q train --protocol "$p" --seed 1 -o "$out/$p.model"
    "$ff" -q eval --openset --model "$out/$p.model" --trials 5 --seed 1 \
        --json >"$out/openset-$p.json"
    echo "$p: $(cat "$out/openset-$p.json")"
done

echo "== 2. captures, model trained on the CIC-IDS2017 CSV only"
m=$out/cic-all.model
cp "$out/cic-ids2017.model" "$m"
# The protocol's test classes join the memory from the same CSV (all rows).
for f in SSH-Patator_2961 FTP-Patator_3972 DoS_Slowloris_3859 \
         DoS_Slowhttptest_1740 Botnet_736; do
    name=${f%_*}
    name=${name/DoS_/DoS }
    "$ff" -q enroll --model "$m" --name "$name" -o "$m" \
        --flows "$data/cic-ids2017-improved/$f.csv.xz" >/dev/null
done
"$ff" classes --model "$m"
pcaps=$data/pcaps
tail -n +2 "$pcaps/LABELS.csv" | cut -d, -f1,4 |
while IFS=, read -r path cat; do
    "$ff" -q detect --model "$m" -r "$pcaps/$path" \
        --summary-json "$out/s.json" >/dev/null
    echo "$cat $path $(cat "$out/s.json")"
done >"$out/captures.txt"
# Port-22 flows of the SSH captures are counted by the alert lines.
for f in "$pcaps"/trace-share-ssh-bruteforce/*/*.pcap; do
    "$ff" -q detect --model "$m" -r "$f" --all |
        grep '"dest_port":22,' | sed 's/.*"fewflow":{"class":"\([^"]*\)".*/\1/' |
        sort | uniq -c | tr '\n' ' '
    echo " <- port 22 of $(basename "$f")"
done | tee "$out/ssh22.txt"
/usr/bin/python3 - "$out/captures.txt" <<'EOF'
import collections, json, sys
flows, alerts = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    cat, path, js = line.split(' ', 2)
    d = json.loads(js)
    flows[cat] += d['flows']
    alerts[cat] += d['alerts']
    if cat in ('ddos', 'brute-force', 'dns-tunnel'):
        print('%-12s %-60s %6d flows  %s' % (cat, path[-60:], d['flows'],
                                             d['decided']))
for c in sorted(flows):
    print('%-18s %6d flows %6d alerts (%.1f%%)' % (
        c, flows[c], alerts[c], 100.0 * alerts[c] / max(flows[c], 1)))
EOF

echo "== 3. dns-tunnel from 5 flows of iodine, detect on dns2tcp"
"$ff" -q enroll --model "$m" --name dns-tunnel --shot 5 --active-timeout 1 \
    --flows "$pcaps/dns-tunnel/iodine_elastic-examples.pcap" -o "$out/dns.model"
for t in 120 1 0.005; do
    "$ff" -q detect --model "$out/dns.model" --active-timeout "$t" \
        -r "$pcaps/dns-tunnel/dns2tcp_netrack-learn_2018-03-23.pcap" \
        --summary-json "$out/s.json" >/dev/null
    echo "dns2tcp, active timeout $t s: $(cat "$out/s.json")"
done

echo "== 4. speed (load: $(cut -d' ' -f1-3 /proc/loadavg))"
# 1 and 2 detect threads alternate, so that a change in the machine's
# load falls on both; take the medians of the lines per thread count.
for i in 1 2 3 4 5; do
    for t in 1 2; do
        "$out/detect_speed" "$m" \
            "$data/cic-ids2017-improved/DDoS_5000.csv.xz" 200000 1 "$t"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/detect_gen_pcap" /tmp/fewflow-1m.pcap 1000000 10 20000
for i in 1 2 3; do
    for t in 1 2; do
        /usr/bin/time -f "max RSS %M KiB, wall %e s" "$ff" -q detect \
            --model "$m" -r /tmp/fewflow-1m.pcap --explain 0 --threads "$t" \
            --summary-json "$out/s1m.json" >/dev/null
        echo "1M packets, $t thread(s): $(cat "$out/s1m.json")"
    done
done
rm -f /tmp/fewflow-1m.pcap
