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
    m=$out/$tag.$1.model
    # shellcheck disable=SC2086
    nice "$ff" train --protocol "$p" --seed 1 $targs -o "$m" 2>"$m.log"
    # shellcheck disable=SC2086
    nice "$ff" eval --openset --model "$m" --trials 5 --seed 1 --json \
        $eargs > "$out/$tag.$1.json" 2>>"$m.log"
}
fold ddos-portscan "DDoS, Portscan" "BENIGN, DoS Hulk, DoS GoldenEye"
fold hulk-goldeneye "DoS Hulk, DoS GoldenEye" "BENIGN, DDoS, Portscan"
fold ddos-hulk "DDoS, DoS Hulk" "BENIGN, DoS GoldenEye, Portscan"
fold goldeneye-portscan "DoS GoldenEye, Portscan" "BENIGN, DDoS, DoS Hulk"
fold ddos-goldeneye "DDoS, DoS GoldenEye" "BENIGN, DoS Hulk, Portscan"
fold hulk-portscan "DoS Hulk, Portscan" "BENIGN, DDoS, DoS GoldenEye"
/usr/bin/python3 - "$out" "$tag" <<'PY'
import json, sys
out, tag = sys.argv[1], sys.argv[2]
folds = ["ddos-portscan", "hulk-goldeneye", "ddos-hulk",
         "goldeneye-portscan", "ddos-goldeneye", "hulk-portscan"]
acc = {}
for f in folds:
    j = json.load(open("%s/%s.%s.json" % (out, tag, f)))
    cells = []
    for k in ("1", "5", "10"):
        m = j["mean"][k]
        cells.append("%.3f/%.3f" % (m["precision"], m["recall"]))
        acc.setdefault(k, []).append((m["precision"], m["recall"]))
    acc.setdefault("auroc", []).append(j["auroc"])
    acc.setdefault("fpr", []).append(j["benign_fpr"])
    print("%-10s %-18s AUROC %.3f FPR %.2f%% K=1 %s K=5 %s K=10 %s" % (
        tag, f, j["auroc"], 100 * j["benign_fpr"], *cells))
mean = lambda v: sum(v) / len(v)
cells = ["%.3f/%.3f" % (mean([p for p, _ in acc[k]]),
                        mean([r for _, r in acc[k]])) for k in ("1", "5", "10")]
print("%-10s %-18s AUROC %.3f FPR %.2f%% K=1 %s K=5 %s K=10 %s" % (
    tag, "MEAN", mean(acc["auroc"]), 100 * mean(acc["fpr"]), *cells))
# The selection criteria of bench/RESULTS.md (third open-set pass), on the
# fold means: C5 = min(P, R) at K=5, C = mean over K of min(P, R).
mins = {k: min(mean([p for p, _ in acc[k]]), mean([r for _, r in acc[k]]))
        for k in ("1", "5", "10")}
print("%-10s %-18s C5 %.3f C %.3f" % (tag, "CRITERIA", mins["5"],
                                     mean(list(mins.values()))))
PY
