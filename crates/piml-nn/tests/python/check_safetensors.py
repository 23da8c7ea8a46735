"""Check that a piml-nn safetensors file is readable without piml: rebuild the network in
numpy from the tensors and the `piml.mlp` metadata, and reproduce predictions to 1e-12.

Usage: python check_safetensors.py NET.safetensors EXPECTED.csv

EXPECTED.csv (written by crates/piml-nn/tests/weights.rs) has columns x0.. (inputs),
u0_0.. (the initial condition, only for networks with a hard initial condition), u_0..
(the outputs piml computed). Exits 1 and says where if any output differs by more than
1e-12 relative (to max(|u|, 1)).
"""
import json
import math
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

ERF = np.vectorize(math.erf)
ACTIVATIONS = {
    "tanh": np.tanh,
    "sin": np.sin,
    "silu": lambda a: a / (1.0 + np.exp(-a)),
    "gelu": lambda a: a * 0.5 * (1.0 + ERF(a / math.sqrt(2.0))),
}


def predict(path, x, u0):
    with safe_open(path, framework="numpy") as f:
        arch = json.loads(f.metadata()["piml.mlp"])
    tensors = load_file(path)
    spans = np.array(arch["spans"], dtype=np.float64)
    lo, hi = spans[:, 0], spans[:, 1]
    z = 2.0 * (x - lo) / (hi - lo) - 1.0
    if arch["fourier"] is not None:
        theta = 2.0 * math.pi * z @ tensors["fourier.B"].T
        z = np.hstack([np.cos(theta), np.sin(theta)])
    act = ACTIVATIONS[arch["activation"]]
    n_layers = len(arch["hidden"]) + 1
    for l in range(n_layers):
        z = z @ tensors[f"layers.{l}.weight"].T + tensors[f"layers.{l}.bias"]
        if l + 1 < n_layers:
            z = act(z)
    transform = arch["transform"]
    if transform["kind"] == "initial_condition":
        t = transform["time"]
        tau = (x[:, t:t + 1] - lo[t]) / (hi[t] - lo[t])
        z = u0 + tau * z
    elif transform["kind"] != "identity":
        raise SystemExit(f"unknown transform {transform}")
    return z


def main():
    path, csv = sys.argv[1], sys.argv[2]
    with open(csv) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
    col = lambda prefix: [i for i, h in enumerate(header) if h.startswith(prefix)]
    x, u0, expected = data[:, col("x")], data[:, col("u0_")], data[:, col("u_")]
    got = predict(path, x, u0)
    err = np.abs(got - expected) / np.maximum(np.abs(expected), 1.0)
    worst = float(err.max())
    if not worst <= 1e-12:
        row, out = np.unravel_index(np.argmax(err), err.shape)
        print(f"{path}: row {row} output {out}: numpy {got[row, out]!r}, piml {expected[row, out]!r} "
              f"(relative difference {worst:.3e})")
        sys.exit(1)
    print(f"{path}: {data.shape[0]} points, worst relative difference {worst:.3e}")


if __name__ == "__main__":
    main()
