"""PyTorch on the loss and gradient that bench/pinn-bench times with piml-nn:
the inverse Fisher-KPP PINN of ../shared/peers/deepxde_fisher_inverse.py,
computed the way DeepXDE computes it (autograd with create_graph for u_t,
u_x and u_xx, then one backward pass), on the same points and the same
network weights, which pinn-bench wrote to DIR.

  python pinn_torch.py DIR [--threads 1,2] [--precision float64,float32] [--min-seconds 2]

Prints one JSON line per (precision, threads), with the loss value so the
report can check both sides computed the same thing.
"""

import argparse
import json
import time

import numpy as np
import torch
from safetensors.numpy import load_file


def load(directory, dtype):
    tensors = load_file(f"{directory}/net.safetensors")
    layers = []
    n = len([k for k in tensors if k.endswith(".weight")])
    for l in range(n):
        layers.append((torch.tensor(tensors[f"layers.{l}.weight"], dtype=dtype),
                       torch.tensor(tensors[f"layers.{l}.bias"], dtype=dtype)))
    with open(f"{directory}/points.csv") as f:
        f.readline()
        rows = [line.strip().split(",") for line in f]
    sets = {}
    for name, x, t, target in rows:
        sets.setdefault(name, []).append((float(x), float(t), float(target)))
    sets = {k: torch.tensor(np.array(v), dtype=dtype) for k, v in sets.items()}
    return layers, sets


def net(layers, xt):
    z = 2.0 * xt - 1.0  # spans [0, 1] scaled to [-1, 1]
    for i, (w, b) in enumerate(layers):
        z = z @ w.T + b
        if i + 1 < len(layers):
            z = torch.tanh(z)
    return z


def loss_and_grad(layers, sets, d, k):
    for w, b in layers:
        w.grad = None
        b.grad = None
    d.grad = k.grad = None
    xt = sets["interior"][:, :2].clone().requires_grad_(True)
    u = net(layers, xt)
    du = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
    u_x, u_t = du[:, 0:1], du[:, 1:2]
    u_xx = torch.autograd.grad(u_x.sum(), xt, create_graph=True)[0][:, 0:1]
    r = u_t - d * u_xx - k * u * (1 - u)
    loss = (r ** 2).mean()
    xb = sets["boundary"][:, :2].clone().requires_grad_(True)
    ub = net(layers, xb)
    ub_x = torch.autograd.grad(ub.sum(), xb, create_graph=True)[0][:, 0:1]
    loss = loss + (ub_x ** 2).mean()
    for name in ("initial", "data"):
        s = sets[name]
        loss = loss + ((net(layers, s[:, :2]) - s[:, 2:3]) ** 2).mean()
    loss.backward()
    return loss.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--precision", default="float64,float32")
    parser.add_argument("--min-seconds", type=float, default=2.0)
    args = parser.parse_args()
    for precision in args.precision.split(","):
        dtype = getattr(torch, precision)
        layers, sets = load(args.directory, dtype)
        for w, b in layers:
            w.requires_grad_(True)
            b.requires_grad_(True)
        d = torch.tensor(0.1, dtype=dtype, requires_grad=True)
        k = torch.tensor(0.5, dtype=dtype, requires_grad=True)
        for threads in [int(t) for t in args.threads.split(",")]:
            torch.set_num_threads(threads)
            value = loss_and_grad(layers, sets, d, k)
            samples, start = [], time.perf_counter()
            while len(samples) < 10 or time.perf_counter() - start < args.min_seconds:
                t0 = time.perf_counter()
                loss_and_grad(layers, sets, d, k)
                samples.append(time.perf_counter() - t0)
            print(json.dumps({
                "solver": "pytorch", "precision": "f64" if precision == "float64" else "f32",
                "threads": threads, "seconds": float(np.median(samples)), "repeats": len(samples),
                "loss": value, "grad_extra": [d.grad.item(), k.grad.item()],
                "version": torch.__version__,
            }))


if __name__ == "__main__":
    main()
