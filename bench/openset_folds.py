"""Summaries of bench/openset_loco.sh fold runs (run with /usr/bin/python3).

    openset_folds.py summary OUT TAG [SEED ...]
        one line per fold, the fold MEAN and the CRITERIA line (C5, C);
        with seeds: that block per training seed, then the criteria
        averaged over the seeds.
    openset_folds.py paired OUT TAG_A TAG_B SEED [SEED ...]
        per seed the criteria of both tags and B - A, then the mean
        difference of C5 and C with a 95% Student t interval over seeds
        (the seeds are the replications; folds within a seed are not
        independent of each other, so they are averaged first).
"""
import json
import math
import sys

FOLDS = ["ddos-portscan", "hulk-goldeneye", "ddos-hulk",
         "goldeneye-portscan", "ddos-goldeneye", "hulk-portscan"]
SHOTS = ("1", "5", "10")

# Two-sided 95% quantiles of Student's t, df = 1..30 (standard tables);
# beyond 30 the normal 1.960 is within 0.005 of them.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
        2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
        2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
        2.048, 2.045, 2.042]


def mean(v):
    return sum(v) / len(v)


def prefix(out, tag, seed):
    if seed is None:
        return "%s/%s" % (out, tag)
    return "%s/%s.s%s" % (out, tag, seed)


def fold_run(out, tag, seed):
    """Fold JSONs of one tag at one training seed, reduced to figures."""
    rows = []
    for f in FOLDS:
        j = json.load(open("%s.%s.json" % (prefix(out, tag, seed), f)))
        pr = {k: (j["mean"][k]["precision"], j["mean"][k]["recall"])
              for k in SHOTS}
        rows.append({"fold": f, "auroc": j["auroc"],
                     "fpr": j["benign_fpr"], "pr": pr})
    return rows


def criteria(rows):
    """The selection figures of bench/RESULTS.md (third open-set pass), on
    the fold means: C5 = min(P, R) at K=5, C = mean over K of min(P, R)."""
    pm = {k: mean([r["pr"][k][0] for r in rows]) for k in SHOTS}
    rm = {k: mean([r["pr"][k][1] for r in rows]) for k in SHOTS}
    mins = {k: min(pm[k], rm[k]) for k in SHOTS}
    return {"c5": mins["5"], "c": mean(list(mins.values())),
            "auroc": mean([r["auroc"] for r in rows]),
            "fpr": mean([r["fpr"] for r in rows]),
            "fpr_max": max(r["fpr"] for r in rows), "p": pm, "r": rm}


def line(label, name, auroc, fpr, cells):
    print("%-10s %-18s AUROC %.3f FPR %.2f%% K=1 %s K=5 %s K=10 %s" % (
        label, name, auroc, 100 * fpr, *cells))


def print_block(label, rows):
    for r in rows:
        line(label, r["fold"], r["auroc"], r["fpr"],
             ["%.3f/%.3f" % r["pr"][k] for k in SHOTS])
    c = criteria(rows)
    line(label, "MEAN", c["auroc"], c["fpr"],
         ["%.3f/%.3f" % (c["p"][k], c["r"][k]) for k in SHOTS])
    print("%-10s %-18s C5 %.3f C %.3f" % (label, "CRITERIA", c["c5"],
                                         c["c"]))
    return c


def summary(out, tag, seeds):
    if not seeds:
        print_block(tag, fold_run(out, tag, None))
        return
    per = [print_block("%s/s%s" % (tag, s), fold_run(out, tag, s))
           for s in seeds]
    print("%-10s %-18s AUROC %.3f FPR %.2f%% (max fold FPR %.2f%%) "
          "over seeds %s" % (tag, "SEEDMEAN", mean([c["auroc"] for c in per]),
                             100 * mean([c["fpr"] for c in per]),
                             100 * max(c["fpr_max"] for c in per),
                             " ".join(seeds)))
    c5 = [c["c5"] for c in per]
    print("%-10s %-18s C5 %.3f C %.3f (seed range C5 %.3f-%.3f, sd %.3f)"
          % (tag, "CRITERIA", mean(c5), mean([c["c"] for c in per]),
             min(c5), max(c5), sd(c5)))


def sd(v):
    """Sample standard deviation (n - 1); 0 for a single value."""
    if len(v) < 2:
        return 0.0
    m = mean(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def t_interval(d):
    """Mean and 95% t interval of paired differences d (len >= 2)."""
    n = len(d)
    m = mean(d)
    t = T975[n - 2] if n - 1 <= len(T975) else 1.960
    half = t * sd(d) / math.sqrt(n)
    return m, m - half, m + half


def paired(out, tag_a, tag_b, seeds):
    if len(seeds) < 2:
        sys.exit("paired: need at least two seeds for an interval")
    a = [criteria(fold_run(out, tag_a, s)) for s in seeds]
    b = [criteria(fold_run(out, tag_b, s)) for s in seeds]
    print("%-6s %-22s %-22s %s" % ("seed", "A " + tag_a + " C5/C/AUROC/FPR",
                                   "B " + tag_b, "B-A C5 / C"))
    for s, x, y in zip(seeds, a, b):
        print("%-6s %.3f/%.3f/%.3f/%.2f%% %.3f/%.3f/%.3f/%.2f%% %+.3f / %+.3f"
              % (s, x["c5"], x["c"], x["auroc"], 100 * x["fpr"], y["c5"],
                 y["c"], y["auroc"], 100 * y["fpr"], y["c5"] - x["c5"],
                 y["c"] - x["c"]))
    for key, name in (("c5", "C5"), ("c", "C"), ("auroc", "AUROC")):
        d = [y[key] - x[key] for x, y in zip(a, b)]
        m, lo, hi = t_interval(d)
        print("PAIRED %-5s B-A mean %+.4f  95%% t [%+.4f, %+.4f]  sd %.4f"
              "  (n=%d)" % (name, m, lo, hi, sd(d), len(seeds)))
    print("PAIRED FPR   A max seed mean %.2f%%  B max seed mean %.2f%%  "
          "B max single fold %.2f%%" % (100 * max(x["fpr"] for x in a),
                                        100 * max(y["fpr"] for y in b),
                                        100 * max(y["fpr_max"] for y in b)))


def main(argv):
    if len(argv) >= 3 and argv[0] == "summary":
        summary(argv[1], argv[2], argv[3:])
    elif len(argv) >= 5 and argv[0] == "paired":
        paired(argv[1], argv[2], argv[3], argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
