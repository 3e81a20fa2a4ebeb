"""Figures of `eval --openset --context-split` runs (semi7) that
openset_folds.py does not print (run with /usr/bin/python3).

    openset_context.py folds OUT TAG SEED [SEED ...]
        over bench/openset_loco.sh's fold JSONs of TAG: the benign
        false-alarm rate after K=5 enrolment (the base rate plus the mean
        over enrolled classes of the scored benign rows each takes) and,
        with growth, the K=5 grown rows by origin (means over classes).
    openset_context.py json FILE [FILE ...]
        the same for single JSON files, with K=5 mean P, R and min(P, R)
        and each class's K=5 P, R and grown rows.
"""
import json
import sys

from openset_folds import FOLDS, mean, prefix

KINDS = ("own", "novel", "benign", "known")


def figures(j, shot="5"):
    cells = [v[shot] for v in j["enrolled"].values()
             if v[shot]["recall"] is not None and "benign_taken" in v[shot]]
    taken = mean([c["benign_taken"] for c in cells]) if cells else 0.0
    grown = {k: mean([c["grown"][k] for c in cells]) if cells and
             "grown" in cells[0] else 0.0 for k in ("rows",) + KINDS}
    return {"fpr_after": j["benign_fpr"] + taken, "grown": grown}


def grown_text(g):
    if g["rows"] == 0:
        return "no growth"
    return "grown %.1f rows: " % g["rows"] + ", ".join(
        "%s %.1f%%" % (k, 100 * g[k] / g["rows"]) for k in KINDS)


def folds(out, tag, seeds):
    rows = []
    for s in seeds:
        for f in FOLDS:
            name = "%s.%s.json" % (prefix(out, tag, s), f)
            rows.append(figures(json.load(open(name))))
    g = {k: mean([r["grown"][k] for r in rows]) for k in ("rows",) + KINDS}
    print("%s: benign FPR after K=5 enrolment %.3f%% (mean of %d fold "
          "runs, max %.3f%%); %s" % (tag, 100 * mean([r["fpr_after"]
                                                      for r in rows]),
                                     len(rows), 100 * max(r["fpr_after"]
                                                          for r in rows),
                                     grown_text(g)))


def single(paths):
    for p in paths:
        j = json.load(open(p))
        f = figures(j)
        m = j["mean"]["5"]
        print("%s: K=5 P %.3f R %.3f min %.3f; AUROC %.3f; benign FPR "
              "%.3f%%, after K=5 enrolment %.3f%%; %s" % (
                  p, m["precision"], m["recall"],
                  min(m["precision"], m["recall"]), j["auroc"],
                  100 * j["benign_fpr"], 100 * f["fpr_after"],
                  grown_text(f["grown"])))
        for name, v in j["enrolled"].items():
            c = v["5"]
            if c["recall"] is None:
                continue
            g = c.get("grown")
            print("    %-24s P %.3f R %.3f%s" % (
                name, c["precision"], c["recall"],
                "; " + grown_text(g) if g else ""))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "folds":
        folds(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "json":
        single(sys.argv[2:])
    else:
        sys.exit(__doc__)
