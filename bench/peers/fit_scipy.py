"""Michaelis-Menten time-course fit with scipy, the set-up of the shared peer
scipy_mm_fit.py: S' = -Vmax*S/(Km + S), S0 = 10, Vmax = 1, Km = 2, t = 1..20
(20 points), Gaussian noise with known sigma = 2% of the true value drawn by
numpy's default_rng(0); (Vmax, Km) fitted from (0.5, 5) by
scipy.optimize.least_squares (trf, x_scale='jac', xtol = ftol = gtol = 1e-10)
with solve_ivp inside the residual (rtol 1e-8, atol 1e-10).

  python fit_scipy.py --write-data DATA.parquet      the data, for fit-kinetics
  python fit_scipy.py --ode LSODA,BDF --repeats 5    one JSON line per ODE method

Also prints the closed-form (Lambert W, Schnell & Mendoza 1997) least-squares
fit as the reference both are compared against.
"""
import argparse
import json
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares
from scipy.special import lambertw

S0, VMAX, KM = 10.0, 1.0, 2.0
T = np.linspace(1.0, 20.0, 20)
START = np.array([0.5, 5.0])
TOL = dict(xtol=1e-10, ftol=1e-10, gtol=1e-10)


def closed_form(t, vmax, km):
    return km * np.real(lambertw((S0 / km) * np.exp((S0 - vmax * t) / km)))


def data():
    truth = closed_form(T, VMAX, KM)
    sigma = 0.02 * truth
    y = truth + sigma * np.random.default_rng(0).standard_normal(T.size)
    return y, sigma


def fit(residual):
    res = least_squares(residual, START, method="trf", x_scale="jac", **TOL)
    cov = np.linalg.inv(res.jac.T @ res.jac)
    return res, np.sqrt(np.diag(cov))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-data")
    ap.add_argument("--ode", default="LSODA,BDF")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    y, sigma = data()
    if args.write_data:
        table = pa.table({"t": T, "S": y, "sigma_S": sigma})
        pq.write_table(table, args.write_data)
        return
    ref, ref_se = fit(lambda p: (closed_form(T, *p) - y) / sigma)
    print(json.dumps(dict(solver="closed-form", vmax=ref.x[0], km=ref.x[1], se_vmax=ref_se[0],
                          se_km=ref_se[1], chi2=2 * ref.cost)), flush=True)
    for method in args.ode.split(","):
        def residual(p):
            sol = solve_ivp(lambda t, s: -p[0] * s / (p[1] + s), (0.0, T[-1]), [S0], method=method,
                            t_eval=T, rtol=1e-8, atol=1e-10)
            return (sol.y[0] - y) / sigma
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            res, se = fit(residual)
            times.append(time.perf_counter() - t0)
        print(json.dumps(dict(solver=f"scipy-{method}", median_s=statistics.median(times), min_s=min(times),
                              nfev=int(res.nfev), vmax=res.x[0], km=res.x[1], se_vmax=se[0], se_km=se[1],
                              chi2=2 * res.cost)), flush=True)


if __name__ == "__main__":
    main()
