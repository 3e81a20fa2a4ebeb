#!/usr/bin/python3
"""Size of the initial MAML embedding per protocol, for two encoder inits.

    bench/maml_scale.py BASE...     (BASE = a `maml_torch.py dump` output)

Draws 200 rows of every training class (fewer if the class is smaller),
passes them through a freshly initialised d-128-128-64 ReLU MLP (five
draws, numpy seed 0) and prints, per init: the rms norm of the input rows,
the rms distance of the embeddings from their mean ("spread"), the norm of
that mean, and the rms distance of the class means from their mean. Inits:
"kaiming" (fewflow: N(0, 2/fan_in) weights, zero biases) and "torch"
(nn.Linear's default U(+-1/sqrt(fan_in)) weights and biases). With the
inner step size fixed, the embedding's size sets how far one inner step
moves the logits, so protocols with the same init can start very
differently.
"""
import sys

import numpy as np

WIDTHS = [128, 128, 64]


def load_train(base):
    data = np.fromfile(base + ".f32", dtype=np.float32)
    off, out = 0, []
    for line in open(base + ".idx"):
        split, _name, n, c = line.rstrip("\n").split("\t")
        n, c = int(n), int(c)
        if split == "train":
            out.append(data[off:off + n * c].reshape(n, c))
        off += n * c
    return out


def embed(x, init, rng):
    h, fan_in = x, x.shape[1]
    for i, w in enumerate(WIDTHS):
        if init == "kaiming":
            h = h @ rng.normal(0, np.sqrt(2 / fan_in), (fan_in, w))
        else:
            bound = 1 / np.sqrt(fan_in)
            h = (h @ rng.uniform(-bound, bound, (fan_in, w)) +
                 rng.uniform(-bound, bound, w))
        if i < len(WIDTHS) - 1:
            h = np.maximum(h, 0)
        fan_in = w
    return h


def main():
    rng = np.random.default_rng(0)
    for base in sys.argv[1:]:
        classes = load_train(base)
        picks = [c[rng.choice(len(c), min(200, len(c)), replace=False)]
                 for c in classes]
        x = np.concatenate(picks)
        label = np.concatenate([np.full(len(p), i)
                                for i, p in enumerate(picks)])
        for init in ("kaiming", "torch"):
            rows = []
            for _ in range(5):
                z = embed(x, init, rng)
                mu = z.mean(0)
                cm = np.stack([z[label == i].mean(0)
                               for i in range(len(picks))])
                rows.append((np.sqrt(((z - mu) ** 2).sum(1).mean()),
                             np.linalg.norm(mu),
                             np.sqrt(((cm - cm.mean(0)) ** 2).sum(1).mean())))
            s = np.mean(rows, axis=0)
            print("%s %-7s input rms %.2f  spread %.3f  |mean| %.3f  "
                  "class-mean spread %.3f" % (base.split("/")[-1], init,
                  np.sqrt((x ** 2).sum(1).mean()), s[0], s[1], s[2]))


if __name__ == "__main__":
    main()
