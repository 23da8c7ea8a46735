"""DeepXDE on the problem that bench/pinn-bench times with piml-nn: the inverse
Fisher-KPP PINN of ../shared/peers/deepxde_fisher_inverse.py, set up as that
script sets it up (net 2-32-32-32-1 tanh, Glorot normal; 2000 domain, 100
boundary and 100 initial points sampled by DeepXDE; the 176 data points of
DIR/points.csv as anchors and observations; unknowns D and k; Adam, lr 1e-3),
timed per Adam step: forward, the derivatives by nested autograd, backward,
update, as DeepXDE's training loop runs them. The reference solve of that
script is left out: the observed values do not change the cost of a step.

  python pinn_deepxde.py DIR --precision float64 [--threads 1,2] [--steps 200] [--repeats 3]

One precision per process (DeepXDE fixes it before building the network).
Prints one JSON line per thread count: the median over repeats of
(wall time of `steps` Adam steps) / steps.
"""

import argparse
import contextlib
import json
import os
import sys
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")
import numpy as np
import torch

import deepxde as dde


def u0(x):
    return 0.5 * (1.0 - np.tanh((x - 0.25) / 0.05))


def model(directory):
    with open(f"{directory}/points.csv") as f:
        f.readline()
        rows = [line.strip().split(",") for line in f]
    data_rows = np.array([[float(v) for v in r[1:]] for r in rows if r[0] == "data"])
    ob_x, ob_u = data_rows[:, :2], data_rows[:, 2:3]
    d, k = dde.Variable(0.1), dde.Variable(0.5)

    def pde(x, y):
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t - d * dy_xx - k * y * (1 - y)

    geomtime = dde.geometry.GeometryXTime(
        dde.geometry.Interval(0, 1), dde.geometry.TimeDomain(0, 1)
    )
    bc = dde.icbc.NeumannBC(geomtime, lambda x: 0, lambda _, on_b: on_b)
    ic = dde.icbc.IC(geomtime, lambda x: u0(x[:, 0:1]), lambda _, on_i: on_i)
    obs = dde.icbc.PointSetBC(ob_x, ob_u, component=0)
    data = dde.data.TimePDE(
        geomtime, pde, [bc, ic, obs],
        num_domain=2000, num_boundary=100, num_initial=100, anchors=ob_x, num_test=2000,
    )
    net = dde.nn.FNN([2] + [32] * 3 + [1], "tanh", "Glorot normal")
    m = dde.Model(data, net)
    m.compile("adam", lr=1e-3, external_trainable_variables=[d, k])
    return m


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--precision", default="float64")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = sys.stdout
    # DeepXDE reports progress on stdout, which holds only JSON lines here.
    with contextlib.redirect_stdout(sys.stderr):
        dde.config.set_random_seed(0)
        dde.config.set_default_float(args.precision)
        m = model(args.directory)
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        samples = []
        with contextlib.redirect_stdout(sys.stderr):
            m.train(iterations=20, display_every=10**9, verbose=0)  # warm-up
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                m.train(iterations=args.steps, display_every=10**9, verbose=0)
                samples.append((time.perf_counter() - t0) / args.steps)
        print(json.dumps({
            "solver": "deepxde", "precision": "f64" if args.precision == "float64" else "f32",
            "threads": threads, "seconds": float(np.median(samples)), "repeats": args.repeats,
            "steps": args.steps, "version": dde.__version__,
        }), file=results, flush=True)


if __name__ == "__main__":
    main()
