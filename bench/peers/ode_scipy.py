"""scipy.integrate.solve_ivp on the stiff benchmark problems, timed for bench/ode.sh.

Robertson to t = 1e11 and HIRES to t = 321.8122 (Test Set for IVP Solvers,
Bari), BDF and LSODA with analytic Jacobians, at the tolerances asked for.
Each case is run once to warm up, then repeatedly until at least
--min-seconds have passed (at least --min-repeats runs); the median wall time
of one solve is reported. One JSON object per line on stdout:

  {"problem": "robertson", "solver": "scipy-BDF", "rtol": 1e-06, "atol": 1e-10,
   "seconds": ..., "repeats": N, "y_end": [...], "steps": ..., "max_rel_err": ...,
   "t_end": 1e11, "success": true, "nfev": ..., "njev": ..., "nlu": ...,
   "peer": "scipy 1.17.1 numpy 2.4.6 python 3.11.7"}

max_rel_err = max over components with |ref| > 1e-20 of |y - ref| / |ref|,
against testdata/stiff-references.json.

  python bench/peers/ode_scipy.py [--problem robertson,hires] [--solver BDF,LSODA]
      [--tol 1e-6:1e-10,1e-10:1e-14] [--min-seconds 0.5] [--once]

--once solves each case a single time without warm-up (for whole-process timing).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# Robertson (rober.f of the test set): y1' = -0.04 y1 + 1e4 y2 y3, ...
def rober(t, y):
    y1, y2, y3 = y
    return [-0.04 * y1 + 1e4 * y2 * y3,
            0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2,
            3e7 * y2 * y2]


def rober_jac(t, y):
    y1, y2, y3 = y
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])


# HIRES (hires.f of the test set), coefficient for coefficient.
def hires(t, y):
    f7 = 280 * y[5] * y[7] - 1.81 * y[6]
    return [-1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007,
            1.71 * y[0] - 8.75 * y[1],
            -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4],
            8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3],
            -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6],
            -280 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6],
            f7,
            -f7]


def hires_jac(t, y):
    J = np.zeros((8, 8))
    J[0, 0], J[0, 1], J[0, 2] = -1.71, 0.43, 8.32
    J[1, 0], J[1, 1] = 1.71, -8.75
    J[2, 2], J[2, 3], J[2, 4] = -10.03, 0.43, 0.035
    J[3, 1], J[3, 2], J[3, 3] = 8.32, 1.71, -1.12
    J[4, 4], J[4, 5], J[4, 6] = -1.745, 0.43, 0.43
    J[5, 3], J[5, 4], J[5, 5], J[5, 6], J[5, 7] = 0.69, 1.71, -280 * y[7] - 0.43, 0.69, -280 * y[5]
    J[6, 5], J[6, 6], J[6, 7] = 280 * y[7], -1.81, 280 * y[5]
    J[7, 5], J[7, 6], J[7, 7] = -280 * y[7], 1.81, -280 * y[5]
    return J


PROBLEMS = {
    "robertson": (rober, rober_jac, [1.0, 0.0, 0.0], 1e11),
    "hires": (hires, hires_jac, [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057], 321.8122),
}


def max_rel_err(y, ref):
    errs = [abs(a - r) / abs(r) for a, r in zip(y, ref) if abs(r) > 1e-20]
    return max(errs) if errs else None


def tolerances(text):
    out = []
    for pair in text.split(","):
        r, a = pair.split(":")
        out.append((float(r), float(a)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--problem", default="robertson,hires")
    ap.add_argument("--solver", default="BDF,LSODA")
    ap.add_argument("--tol", type=tolerances, default=tolerances("1e-6:1e-10,1e-10:1e-14"),
                    help="comma list of RTOL:ATOL pairs")
    ap.add_argument("--min-seconds", type=float, default=0.5)
    ap.add_argument("--min-repeats", type=int, default=5)
    ap.add_argument("--once", action="store_true")
    ap.add_argument("--refs", default=os.path.join(ROOT, "testdata", "stiff-references.json"))
    args = ap.parse_args()
    with open(args.refs) as f:
        refs = json.load(f)
    peer = f"scipy {scipy.__version__} numpy {np.__version__} python {sys.version.split()[0]}"
    for name in args.problem.split(","):
        fun, jac, y0, t_end = PROBLEMS[name]
        ref = list(refs[name]["y"].values())
        assert refs[name]["t"] == t_end, f"{name}: reference time differs"
        for rtol, atol in args.tol:
            for method in args.solver.split(","):
                def solve():
                    return solve_ivp(fun, (0.0, t_end), y0, method=method, rtol=rtol, atol=atol, jac=jac)
                times = []
                if args.once:
                    t0 = time.perf_counter()
                    sol = solve()
                    times.append(time.perf_counter() - t0)
                else:
                    sol = solve()  # warm-up
                    spent = 0.0
                    while len(times) < args.min_repeats or spent < args.min_seconds:
                        t0 = time.perf_counter()
                        sol = solve()
                        dt = time.perf_counter() - t0
                        times.append(dt)
                        spent += dt
                y_end = [float(v) for v in sol.y[:, -1]]
                row = dict(problem=name, solver=f"scipy-{method}", rtol=rtol, atol=atol,
                           seconds=statistics.median(times), repeats=len(times), y_end=y_end,
                           steps=len(sol.t) - 1, max_rel_err=max_rel_err(y_end, ref), t_end=t_end,
                           success=bool(sol.success), nfev=int(sol.nfev), njev=int(sol.njev),
                           nlu=int(sol.nlu), min_seconds=min(times), peer=peer)
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
