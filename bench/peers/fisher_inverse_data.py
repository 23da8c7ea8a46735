"""The measurements of the inverse Fisher-KPP benchmark (../shared/peers/deepxde_fisher_inverse.py),
written as a table for fit-pinn: noise-free u at 16 equally spaced positions (ends included) x 11
times on [0, 1] x [0, 1], from a method-of-lines solution with 401 nodes (zero flux by ghost
nodes), scipy BDF at rtol 1e-9, atol 1e-11, interpolated linearly in x -- the peer script's
definition of its data.

  python bench/peers/fisher_inverse_data.py OUT.csv
"""
import sys

import numpy as np
from scipy.integrate import solve_ivp

D, R = 0.02, 2.0
NODES = 401


def main():
    x = np.linspace(0.0, 1.0, NODES)
    h = x[1] - x[0]

    def rhs(_, u):
        padded = np.concatenate(([u[1]], u, [u[-2]]))  # ghost nodes: u_x = 0 at both ends
        return D * (padded[2:] - 2 * u + padded[:-2]) / h**2 + R * u * (1 - u)

    u0 = 0.5 * (1 - np.tanh((x - 0.25) / 0.05))
    times = np.linspace(0.0, 1.0, 11)
    sol = solve_ivp(rhs, (0, 1), u0, method="BDF", t_eval=times, rtol=1e-9, atol=1e-11)
    positions = np.linspace(0.0, 1.0, 16)
    with open(sys.argv[1], "w") as f:
        f.write("t,x,u\n")
        for j, t in enumerate(times):
            for xi, ui in zip(positions, np.interp(positions, x, sol.y[:, j])):
                f.write(f"{float(t)!r},{float(xi)!r},{float(ui)!r}\n")


if __name__ == "__main__":
    main()
