#!/usr/bin/python3
"""The PyTorch peer of bench/bench_tensor.c: the same ProtoNet step and
second-order MAML meta-step, float32, same shapes and thread count.

usage: /usr/bin/python3 bench/bench_tensor_torch.py protonet|maml STEPS
Prints "<mode> steps_per_s <wall> steps_per_cpu_s <cpu> final_loss <v>".
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

WAYS, SHOTS, QUERIES, D_IN, D_OUT = 5, 5, 15, 78, 64
N_SUP, N_QRY, INNER_STEPS, ALPHA = WAYS * SHOTS, WAYS * QUERIES, 5, 0.01

torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "1")))
torch.manual_seed(1)


def kaiming(fan_in, fan_out):
    return (torch.randn(fan_in, fan_out) * (2.0 / fan_in) ** 0.5)


def make_params(with_head):
    ps = []
    for a, b in ((D_IN, 128), (128, 128), (128, D_OUT)):
        ps += [kaiming(a, b), torch.zeros(1, b)]
    if with_head:
        lim = (6.0 / (D_OUT + WAYS)) ** 0.5
        ps += [(torch.rand(D_OUT, WAYS) * 2 - 1) * lim, torch.zeros(1, WAYS)]
    return [p.requires_grad_(True) for p in ps]


def encoder(w, x):
    h = torch.relu(torch.addmm(w[1], x, w[0]))
    h = torch.relu(torch.addmm(w[3], h, w[2]))
    return torch.addmm(w[5], h, w[4])


x = torch.randn(N_SUP + N_QRY, D_IN)
y_sup = torch.arange(WAYS).repeat_interleave(SHOTS)
y_qry = torch.arange(WAYS).repeat_interleave(QUERIES)
xs, xq = x[:N_SUP], x[N_SUP:]


def protonet_step(params, opt):
    z = encoder(params, x)
    protos = z[:N_SUP].reshape(WAYS, SHOTS, -1).mean(1)
    zq = z[N_SUP:]
    d = (zq.pow(2).sum(1, keepdim=True) + protos.pow(2).sum(1)
         - 2 * zq @ protos.t()).clamp_min(0)
    loss = F.cross_entropy(-d, y_qry)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def maml_loss(w, inp, y):
    return F.cross_entropy(torch.addmm(w[7], encoder(w, inp), w[6]), y)


def maml_step(params, opt):
    fast = params
    for _ in range(INNER_STEPS):
        g = torch.autograd.grad(maml_loss(fast, xs, y_sup), fast,
                                create_graph=True)
        fast = [p - ALPHA * gi for p, gi in zip(fast, g)]
    outer = maml_loss(fast, xq, y_qry)
    opt.zero_grad(set_to_none=True)
    outer.backward()
    opt.step()
    return outer.item()


def main():
    mode, steps = sys.argv[1], int(sys.argv[2])
    maml = mode == "maml"
    params = make_params(maml)
    opt = torch.optim.Adam(params, lr=1e-3)
    step = maml_step if maml else protonet_step
    for _ in range(5):
        step(params, opt)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        loss = step(params, opt)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print(f"{mode} steps_per_s {steps / dt:.1f} steps_per_cpu_s "
          f"{steps / dc:.1f} final_loss {loss:.5f}")


main()
