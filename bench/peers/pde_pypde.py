"""py-pde (numba backend) on the reaction-diffusion benchmark problems, timed
as ../shared/peers/pypde_*.py define them, one JSON object per line.

  python pde_pypde.py gray-scott --n 128 [--save FINAL.npy]
  python pde_pypde.py fisher-kpp [--save FINAL.npy]

gray-scott: F = 0.035, k = 0.065, Du = 2e-5, Dv = 1e-5 on the periodic square
[0, 0.01 n]^2 with n^2 cells, u = 1, v = 0 but 0.5 / 0.25 in the central
20 x 20 cells plus 0.1 uniform noise (seed 0); explicit Euler, dt = 1, to t = 5000.
fisher-kpp: u_t = u_xx + u (1 - u) on [0, 200], 512 cells, zero flux,
u0 = 1 for x < 10; explicit Euler, dt = 0.01, to t = 50.

Reported: `compile_seconds` (building and compiling the stepper plus one
step, paid once per process), `seconds` (stepping alone, the better of two
runs), the final fields' summary, and for fisher-kpp the front positions at
t = 40 and 50 (the run stops at t = 40 to look, then carries on).
"""

import time

PROCESS_START = time.perf_counter()  # before numpy, numba and py-pde are imported

import argparse
import json
import warnings

import numpy as np
import pde
from pde.solvers import EulerSolver

warnings.simplefilter("ignore")


def gray_scott(n, dt, noise):
    dx, t_end = 0.01, 5000.0
    du, dv, f, k = 2e-5, 1e-5, 0.035, 0.065
    grid = pde.CartesianGrid([[0, n * dx], [0, n * dx]], [n, n], periodic=True)
    rng = np.random.default_rng(0)
    u0, v0 = np.ones((n, n)), np.zeros((n, n))
    s = slice(n // 2 - 10, n // 2 + 10)
    u0[s, s], v0[s, s] = 0.5, 0.25
    if noise:
        u0 += 0.1 * rng.random((n, n))
        v0 += 0.1 * rng.random((n, n))
    state = pde.FieldCollection([pde.ScalarField(grid, u0, label="u"), pde.ScalarField(grid, v0, label="v")])
    eq = pde.PDE({
        "u": f"{du} * laplace(u) - u * v**2 + {f} * (1 - u)",
        "v": f"{dv} * laplace(v) + u * v**2 - ({f} + {k}) * v",
    })
    return eq, state, dt, t_end, None


def fisher_kpp(_n, dt, _noise):
    d, r, length, n, t_end = 1.0, 1.0, 200.0, 512, 50.0
    grid = pde.CartesianGrid([[0, length]], [n], periodic=False)
    x = grid.axes_coords[0]
    state = pde.ScalarField(grid, (x < 10).astype(float))
    eq = pde.PDE({"u": f"{d} * laplace(u) + {r} * u * (1 - u)"}, bc={"derivative": 0})
    return eq, state, dt, t_end, x


def front(u, x):
    """Where u falls through 1/2, by linear interpolation."""
    i = int(np.where(u < 0.5)[0][0])
    return float(x[i - 1] + (0.5 - u[i - 1]) * (x[i] - x[i - 1]) / (u[i] - u[i - 1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", choices=["gray-scott", "fisher-kpp"])
    parser.add_argument("--n", type=int, default=128, help="cells per side (gray-scott)")
    parser.add_argument("--save", help="write the final field(s) to this .npy file")
    parser.add_argument("--dt", type=float, help="time step (default: 1 for gray-scott, 0.01 for fisher-kpp)")
    parser.add_argument("--no-noise", action="store_true", help="gray-scott: the square alone, no random noise")
    args = parser.parse_args()
    make = gray_scott if args.problem == "gray-scott" else fisher_kpp
    dt = args.dt or (1.0 if args.problem == "gray-scott" else 0.01)
    eq, state0, dt, t_end, x = make(args.n, dt, not args.no_noise)

    start = time.perf_counter()
    stepper = EulerSolver(eq, backend="numba", adaptive=False).make_stepper(state0, dt=dt)
    warm = state0.copy()
    stepper(warm, 0.0, dt)
    compile_seconds = time.perf_counter() - start

    best, final, front_t40 = None, None, None
    for _ in range(2):
        state = state0.copy()
        start = time.perf_counter()
        if x is None:
            stepper(state, 0.0, t_end)
        else:
            t = stepper(state, 0.0, 40.0)
            front_t40 = front(np.asarray(state.data), x)
            stepper(state, t, t_end)
        wall = time.perf_counter() - start
        if best is None or wall < best:
            best, final = wall, state
    steps = int(round(t_end / dt))
    data = np.asarray(final.data)
    if args.save:
        np.save(args.save, data)
    line = {
        "problem": args.problem if args.problem == "fisher-kpp" else f"gray-scott-{args.n}",
        "solver": "py-pde-euler",
        "version": pde.__version__,
        "cells": int(np.prod(data.shape[-2:] if args.problem == "gray-scott" else data.shape)),
        "steps": steps,
        "dt": dt,
        "compile_seconds": compile_seconds,
        "seconds": best,
        "us_per_step": best / steps * 1e6,
        "mean": float(data.mean()),
        "min": float(data.min()),
        "max": float(data.max()),
    }
    if x is not None:
        line["front_t40"], line["front_t50"] = front_t40, front(data, x)
    # Everything this process did for one solve: imports, compilation, one run
    # (the second timed run is taken off).
    line["process_seconds"] = time.perf_counter() - PROCESS_START - best
    print(json.dumps(line))


if __name__ == "__main__":
    main()
