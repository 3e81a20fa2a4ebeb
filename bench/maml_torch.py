#!/usr/bin/python3
"""Plain PyTorch MAML / FOMAML / ANIL: the peer that fewflow's C MAML is
measured against (issue 5). Benchmark and reference tool only; fewflow never
needs Python at run time.

Two jobs:
  accuracy  meta-train on a protocol's training classes, then score 1,000
            test episodes (mean accuracy and 95% half-width);
  speed     time the second-order meta-step on a fixed synthetic episode
            and report steps/s and peak RSS for 1, 5 and 10 inner steps.

Model: MLP d->128->128->64 (ReLU between layers), ReLU, then a linear N-way
head.  Inner loop: S SGD steps on the support cross-entropy at step size
alpha; fast weights stay functions of theta when create_graph is set
(second order).  Outer loop: Adam on the mean query loss of a meta-batch.

Run with Debian's interpreter: /usr/bin/python3 bench/maml_torch.py ...
"""
import argparse
import json
import lzma
import math
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

DATA = os.environ.get("FEWFLOW_DATA",
                      os.path.join(os.path.dirname(__file__), "..", "..",
                                   "shared", "data"))

NSL_COLS = [
    "duration", "protocol_type", "service", "flag", "src_bytes",
    "dst_bytes", "land", "wrong_fragment", "urgent", "hot",
    "num_failed_logins", "logged_in", "num_compromised", "root_shell",
    "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login",
    "is_guest_login", "count", "srv_count", "serror_rate",
    "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
    "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate", "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate", "label", "difficulty"]

CIC_ID_COLS = ["id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port",
               "Timestamp", "Attempted Category"]


def read_unsw():
    df = pd.read_csv(os.path.join(DATA, "unsw-nb15",
                                  "UNSW_NB15_training-set.csv.xz"),
                     encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    y = df["attack_cat"].astype(str).str.strip()
    x = df.drop(columns=["id", "label", "attack_cat"])
    train = ["Normal", "Generic", "Exploits", "Fuzzers", "DoS"]
    test = ["Reconnaissance", "Analysis", "Backdoor", "Shellcode", "Worms"]
    return x, y, ["proto", "service", "state"], train, test


def read_cic():
    folder = os.path.join(DATA, "cic-ids2017-improved")
    frames = [pd.read_csv(os.path.join(folder, f), low_memory=False)
              for f in sorted(os.listdir(folder)) if f.endswith(".csv.xz")]
    df = pd.concat(frames, ignore_index=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.loc[:, ~df.columns.duplicated()]
    y = df["Label"].astype(str).str.strip()
    x = df.drop(columns=[c for c in CIC_ID_COLS + ["Label"] if c in df])
    train = ["BENIGN", "DDoS", "DoS Hulk", "DoS GoldenEye", "Portscan"]
    test = ["DoS Slowloris", "DoS Slowhttptest", "FTP-Patator",
            "SSH-Patator", "Botnet"]
    return x, y, [], train, test


def read_nsl():
    folder = os.path.join(DATA, "nsl-kdd")
    tr = pd.read_csv(os.path.join(folder, "KDDTrain+.txt.xz"),
                     header=None, names=NSL_COLS)
    te = pd.read_csv(os.path.join(folder, "KDDTest+.txt.xz"),
                     header=None, names=NSL_COLS)
    train = sorted(tr["label"].unique())
    counts = te["label"].value_counts()
    test = sorted(n for n in counts.index
                  if n not in set(train) and counts[n] >= 20)
    df = pd.concat([tr[tr["label"].isin(train)], te[te["label"].isin(test)]],
                   ignore_index=True)
    y = df["label"].astype(str)
    x = df.drop(columns=["label", "difficulty"])
    return x, y, ["protocol_type", "service", "flag"], train, test


READERS = {"unsw-nb15": read_unsw, "cic-ids2017": read_cic,
           "nsl-kdd": read_nsl}


def read_proto(name):
    """Train and test classes from protocols/NAME.proto (fewflow's own
    protocol files), or None when the file is absent."""
    path = os.path.join(os.path.dirname(__file__), "..", "protocols",
                        name + ".proto")
    if not os.path.exists(path):
        return None
    fields, key = {}, None
    for line in open(path):
        line = line.split("#", 1)[0].rstrip()
        if not line:
            continue
        if line[0].isspace() and key:
            fields[key] += "," + line.strip()
            continue
        key, _, val = line.partition(":")
        key = key.strip()
        fields[key] = val.strip()
    split = lambda v: [c.strip() for c in v.split(",") if c.strip()]
    return split(fields.get("train", "")), split(fields.get("test", ""))


def encode(x, y, cats, train):
    """One-hot categoricals (vocabulary from training rows), non-finite to
    0, log1p for heavy-tailed non-negative columns, standardise on the
    training rows only."""
    is_train = y.isin(train).values
    onehot = {}
    for c in cats:
        vocab = sorted(x.loc[is_train, c].astype(str).unique())
        vals = x[c].astype(str)
        for v in vocab:
            onehot[c + "=" + v] = (vals == v).astype(np.float32)
        onehot[c + "=other"] = (~vals.isin(vocab)).astype(np.float32)
    if cats:
        x = pd.concat([x.drop(columns=cats), pd.DataFrame(onehot)], axis=1)
    a = x.apply(pd.to_numeric, errors="coerce").values.astype(np.float64)
    a[~np.isfinite(a)] = 0.0
    tr = a[is_train]
    heavy = (tr.min(axis=0) >= 0) & (tr.max(axis=0) > 100.0)
    a[:, heavy] = np.log1p(np.maximum(a[:, heavy], 0))
    mu = a[is_train].mean(axis=0)
    sd = a[is_train].std(axis=0)
    sd[sd < 1e-6] = 1.0
    return ((a - mu) / sd).astype(np.float32)


def load(protocol):
    x, y, cats, train, test = READERS[protocol]()
    proto = read_proto(protocol)
    if proto:
        train, test = proto
    a = encode(x, y, cats, train)
    out = {}
    for split, names in (("train", train), ("test", test)):
        rows = {n: np.nonzero(y.values == n)[0] for n in names}
        out[split] = {n: torch.from_numpy(a[r]) for n, r in rows.items()
                      if len(r) >= 2}
    return out


def sample_index(gen, pool, way, shot, query):
    """One episode as (class, row, label, is_query) tuples; classes are
    positions in pool's order. sample() turns it into tensors."""
    keys = list(pool)
    names = [i for i, n in enumerate(keys) if len(pool[n]) > shot]
    pick = torch.randperm(len(names), generator=gen)[:way]
    out = []
    for label, i in enumerate(pick.tolist()):
        c = names[i]
        order = torch.randperm(len(pool[keys[c]]), generator=gen).tolist()
        q = min(query, len(order) - shot)
        out += [(c, r, label, 0) for r in order[:shot]]
        out += [(c, r, label, 1) for r in order[shot:shot + q]]
    return out


def episode_tensors(pool, idx):
    keys = list(pool)
    part = lambda flag: [t for t in idx if t[3] == flag]
    rows = lambda ts: torch.stack([pool[keys[c]][r] for c, r, _, _ in ts])
    labels = lambda ts: torch.tensor([t[2] for t in ts])
    s, q = part(0), part(1)
    return rows(s), labels(s), rows(q), labels(q)


def sample(gen, pool, way, shot, query, trace=None):
    idx = sample_index(gen, pool, way, shot, query)
    if trace is not None:
        trace.append(idx)
    return episode_tensors(pool, idx)


def init_params(d, way, gen, init="torch"):
    """nn.Linear's default U(+-1/sqrt(fan_in)) everywhere ("torch"), or
    as fewflow does it ("kaiming"): encoder weights N(0, 2/fan_in) and
    zero biases, the head as nn.Linear."""
    sizes = [(d, 128), (128, 128), (128, 64), (64, way)]
    params = []
    for i, (fan_in, fan_out) in enumerate(sizes):
        bound = 1.0 / math.sqrt(fan_in)
        w = (torch.rand(fan_out, fan_in, generator=gen) * 2 - 1) * bound
        b = (torch.rand(fan_out, generator=gen) * 2 - 1) * bound
        if init == "kaiming" and i < len(sizes) - 1:
            w = torch.randn(fan_out, fan_in, generator=gen) * math.sqrt(
                2.0 / fan_in)
            b = torch.zeros(fan_out)
        params += [w.requires_grad_(), b.requires_grad_()]
    return params


def forward(p, x):
    h = x
    for i in range(0, len(p) - 2, 2):
        h = F.relu(F.linear(h, p[i], p[i + 1]))
    return F.linear(h, p[-2], p[-1])


def adapt(params, xs, ys, steps, alpha, method, create_graph):
    """Fast weights after `steps` SGD steps on the support loss."""
    fast = list(params)
    first = len(fast) - 2 if method == "anil" else 0
    for _ in range(steps):
        loss = F.cross_entropy(forward(fast, xs), ys)
        g = torch.autograd.grad(loss, fast[first:],
                                create_graph=create_graph)
        fast = fast[:first] + [w - alpha * gw
                               for w, gw in zip(fast[first:], g)]
    return fast


def meta_step(params, opt, episodes, args, steps):
    second = args.method in ("maml", "anil")
    opt.zero_grad()
    total = 0.0
    for xs, ys, xq, yq in episodes:
        fast = adapt(params, xs, ys, steps, args.alpha, args.method, second)
        loss = F.cross_entropy(forward(fast, xq), yq) / len(episodes)
        if args.method == "fomaml":
            # First order: the gradient at the fast weights, applied to theta.
            g = torch.autograd.grad(loss, fast)
            for p, gp in zip(params, g):
                p.grad = gp if p.grad is None else p.grad + gp
        else:
            loss.backward()
        total += loss.item()
    opt.step()
    return total


# A second, independent peer in the style of `higher` and learn2learn's
# MAML wrapper: an nn.Module made functional (functorch.make_functional),
# fast weights as a tuple passed to the functional model, inner gradients
# by the functorch.grad transform. Its outer gradient comes from ordinary
# autograd through the transform (second order) or, for FOMAML, from a
# second grad transform at the detached fast weights. It starts from the
# same theta as the plain peer (copied in), so the same seed draws the
# same episodes and the two should agree up to rounding.
_FUNC = {}


def functorch_model(params):
    """The functional nn.Sequential for a plain-peer parameter list."""
    import functorch
    key = tuple(p.shape for p in params)
    if key not in _FUNC:
        sizes = [(params[i].shape[1], params[i].shape[0])
                 for i in range(0, len(params), 2)]
        layers = []
        for i, (fan_in, fan_out) in enumerate(sizes):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 1:
                layers.append(torch.nn.ReLU())
        fnet, _ = functorch.make_functional(torch.nn.Sequential(*layers))
        _FUNC[key] = fnet
    return _FUNC[key]


def adapt_functorch(params, xs, ys, steps, alpha, method, create_graph):
    import functorch
    fnet = functorch_model(params)
    first = len(params) - 2 if method == "anil" else 0
    head = tuple(params[first:])

    def support_loss(adapted, frozen):
        return F.cross_entropy(fnet(frozen + adapted, xs), ys)

    frozen = tuple(params[:first])
    fast = head
    for _ in range(steps):
        g = functorch.grad(support_loss)(fast, frozen)
        if not create_graph:
            g = tuple(x.detach() for x in g)
        fast = tuple(w - alpha * gw for w, gw in zip(fast, g))
    return list(frozen) + list(fast)


def meta_step_functorch(params, opt, episodes, args, steps):
    import functorch
    fnet = functorch_model(params)
    second = args.method in ("maml", "anil")
    opt.zero_grad()
    total = 0.0
    for xs, ys, xq, yq in episodes:
        fast = adapt_functorch(params, xs, ys, steps, args.alpha,
                               args.method, second)
        if second:
            loss = F.cross_entropy(fnet(tuple(fast), xq), yq) / len(episodes)
            loss.backward()
            total += loss.item()
            continue
        point = tuple(w.detach() for w in fast)
        query_loss = lambda w: F.cross_entropy(fnet(w, xq), yq)
        g, loss = functorch.grad_and_value(query_loss)(point)
        for p, gp in zip(params, g):
            gp = gp / len(episodes)
            p.grad = gp if p.grad is None else p.grad + gp
        total += loss.item() / len(episodes)
    opt.step()
    return total


def evaluate(params, pool, args, gen, trace=None):
    accs = []
    adapt_fn = adapt if args.impl == "plain" else adapt_functorch
    for _ in range(args.test_episodes):
        xs, ys, xq, yq = sample(gen, pool, args.way, args.shot, args.query,
                                trace)
        fast = adapt_fn(params, xs, ys, args.test_steps, args.alpha,
                        args.method, False)
        with torch.no_grad():
            pred = forward(fast, xq).argmax(1)
        accs.append((pred == yq).float().mean().item())
    a = np.array(accs)
    return a.mean(), 1.96 * a.std(ddof=1) / math.sqrt(len(a))


def load_dump(base):
    """The split written by run_dump (so both peers read identical rows)."""
    data = {"train": {}, "test": {}}
    raw = open(base + ".f32", "rb")
    for line in open(base + ".idx"):
        split, name, rows, cols = line.rstrip("\n").split("\t")
        n = int(rows) * int(cols)
        a = np.frombuffer(raw.read(4 * n), dtype="<f4").copy()
        data[split][name] = torch.from_numpy(a.reshape(int(rows), int(cols)))
    return data


def write_trace(base, params, trace, losses):
    """For bench/maml_acc.c --trace: the initial parameters in fewflow's
    layout (W as [in, out], then b; head last), every episode as
    (class, row, label, is_query) indices, and the loss of every update."""
    with open(base + ".init", "wb") as f:
        for i in range(0, len(params), 2):
            f.write(params[i].detach().t().contiguous().numpy()
                    .astype("<f4").tobytes())
            f.write(params[i + 1].detach().numpy().astype("<f4").tobytes())
    with open(base + ".eps", "w") as f:
        for split, idx in trace:
            f.write("%s %d %s\n" % (split, len(idx), " ".join(
                "%d %d %d %d" % t for t in idx)))
    with open(base + ".loss", "w") as f:
        f.write("".join("%.7g\n" % l for l in losses))


def run_accuracy(args):
    data = load_dump(args.dump) if args.dump else load(args.protocol)
    d = next(iter(data["train"].values())).shape[1]
    gen = torch.Generator().manual_seed(args.seed)
    params = init_params(d, args.way, gen, args.init)
    init = [p.detach().clone() for p in params]
    opt = torch.optim.Adam(params, lr=args.meta_lr)
    step = meta_step if args.impl == "plain" else meta_step_functorch
    tr_train, tr_test, losses = [], [], []
    t0 = time.time()
    for _ in range(args.episodes // args.meta_batch):
        eps = [sample(gen, data["train"], args.way, args.shot, args.query,
                      tr_train) for _ in range(args.meta_batch)]
        losses.append(step(params, opt, eps, args, args.train_steps))
    train_s = time.time() - t0
    acc, ci = evaluate(params, data["test"], args, gen, tr_test)
    if args.trace:
        write_trace(args.trace, init, [("train", t) for t in tr_train] +
                    [("test", t) for t in tr_test], losses)
    print(json.dumps({"protocol": args.protocol, "method": args.method,
                      "init": args.init, "impl": args.impl,
                      "way": args.way, "shot": args.shot,
                      "accuracy": round(float(acc), 4),
                      "ci95": round(float(ci), 4), "features": d,
                      "train_s": round(train_s, 1)}))


def run_speed(args):
    gen = torch.Generator().manual_seed(args.seed)
    d, n, k, q = args.dim, args.way, args.shot, args.query
    xs = torch.randn(n * k, d, generator=gen)
    ys = torch.arange(n).repeat_interleave(k)
    xq = torch.randn(n * q, d, generator=gen)
    yq = torch.arange(n).repeat_interleave(q)
    params = init_params(d, n, gen)
    opt = torch.optim.Adam(params, lr=args.meta_lr)
    eps = [(xs, ys, xq, yq)] * args.meta_batch
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(args.warmup):
        meta_step(params, opt, eps, args, args.train_steps)
    times = []
    for _ in range(args.repeats):
        # CPU time of this process: the machine is shared, and the wall
        # clock would measure the neighbours too.
        t0 = time.process_time()
        for _ in range(args.iters):
            meta_step(params, opt, eps, args, args.train_steps)
        times.append((time.process_time() - t0) / args.iters)
    med = sorted(times)[len(times) // 2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peer": "pytorch", "method": args.method,
                      "inner_steps": args.train_steps,
                      "meta_batch": args.meta_batch,
                      "median_step_ms": round(med * 1e3, 3),
                      "steps_per_s": round(1.0 / med, 1),
                      "peak_rss_kib": rss,
                      "step_rss_kib": rss - rss0,
                      "threads": torch.get_num_threads()}))


def run_dump(args):
    """The encoded split as raw float32 for a C harness: a text index
    (split, class, rows) beside one binary file of all rows in order."""
    data = load(args.protocol)
    with open(args.out + ".idx", "w") as idx, open(args.out + ".f32",
                                                     "wb") as raw:
        for split in ("train", "test"):
            for name, rows in data[split].items():
                idx.write("%s\t%s\t%d\t%d\n" % (split, name.replace(
                    "\t", " "), rows.shape[0], rows.shape[1]))
                raw.write(rows.numpy().astype("<f4").tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("job", choices=["accuracy", "speed", "dump"])
    ap.add_argument("--out", default="/tmp/split")
    ap.add_argument("--dump", help="read the split from a dump, not CSVs")
    ap.add_argument("--protocol", choices=sorted(READERS), default="nsl-kdd")
    ap.add_argument("--method", choices=["maml", "fomaml", "anil"],
                    default="maml")
    ap.add_argument("--way", type=int, default=5)
    ap.add_argument("--shot", type=int, default=5)
    ap.add_argument("--query", type=int, default=15)
    ap.add_argument("--episodes", type=int, default=2000,
                    help="training episodes in total (meta-steps x batch)")
    ap.add_argument("--meta-batch", type=int, default=4)
    ap.add_argument("--meta-lr", type=float, default=1e-3)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--train-steps", type=int, default=5)
    ap.add_argument("--test-steps", type=int, default=10)
    ap.add_argument("--test-episodes", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", choices=["torch", "kaiming"], default="torch")
    ap.add_argument("--impl", choices=["plain", "functorch"],
                    default="plain", help="plain autograd.grad, or the "
                    "functorch (functional fast weights) version")
    ap.add_argument("--trace", help="write init, episodes and losses to "
                    "TRACE.init/.eps/.loss (for maml_acc.c --trace)")
    ap.add_argument("--dim", type=int, default=78)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.job == "accuracy":
        run_accuracy(args)
    elif args.job == "dump":
        run_dump(args)
    else:
        run_speed(args)


if __name__ == "__main__":
    sys.exit(main())
