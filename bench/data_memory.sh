#!/usr/bin/env bash
# Peak memory of `fewflow data inspect` on a large generated flow CSV
# (ROWS x 80 numeric columns plus a label; written to /tmp, never kept),
# plain and xz, next to the size of the encoded table (ROWS x 80 x 4 bytes).
# usage: bench/data_memory.sh [ROWS] [build/fewflow]
set -euo pipefail
rows=${1:-200000}
bin=${2:-build/fewflow}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$rows" 'BEGIN {
    srand(7);
    for (j = 1; j <= 80; j++) printf "Feature %d,", j;
    print "Label";
    for (i = 0; i < n; i++) {
        for (j = 1; j <= 80; j++) printf "%.4f,", rand() * 10 ^ (j % 7);
        print (i % 5 == 0 ? "attack" : "benign");
    }
}' > "$tmp/big.csv"
xz -T1 -1 -k "$tmp/big.csv"
table_mib=$(( rows * 80 * 4 / 1048576 ))
for f in "$tmp/big.csv" "$tmp/big.csv.xz"; do
    size_mib=$(( $(stat -c %s "$f") / 1048576 ))
    /usr/bin/time -f "%e s %M KiB" -o "$tmp/t" "$bin" -q data inspect "$f" \
        > /dev/null
    printf '%-8s file %4d MiB  table %4d MiB  fewflow %s\n' \
        "${f##*.}" "$size_mib" "$table_mib" "$(cat "$tmp/t")"
done
