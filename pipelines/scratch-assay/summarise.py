"""One row per density of the scratch-assay pipeline: the method of lines (start estimated) with
its profile intervals, the errors-in-variables fit (start interpolated and held), the network,
and the network's solver check.  Usage: python3 summarise.py DENSITY... > parameters.csv"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def number(v, fmt=".4g"):
    return "" if v is None else format(v, fmt)


columns = [
    "density",
    "D_mol", "D_mol_lo", "D_mol_hi", "r_mol", "r_mol_lo", "r_mol_hi",
    "D_exact_start", "r_exact_start",
    "D_pinn", "r_pinn", "D_pinn_in_interval", "r_pinn_vs_mol",
    "check_agree", "check_fits", "net_minus_solver_rms", "solver_rms", "replicate_sigma",
    "misfit_p",
]
print(",".join(columns))
for d in sys.argv[1:]:
    mol = load(f"mol/initial-{d}.json")["parameters"]
    exact = load(f"exact/initial-{d}.json")["parameters"]
    prof = load(f"profiles/initial-{d}.json")["parameters"]
    pinn = load(f"pinn/initial-{d}.json")
    check = pinn["check"]
    u = check.get("observables", {}).get("u", {})
    d_pinn = pinn["parameters"]["D"]["estimate"]
    r_pinn = pinn["parameters"]["r"]["estimate"]
    lo, hi = prof["D"]["ci95"]
    inside = (lo is None or lo <= d_pinn) and (hi is None or d_pinn <= hi)
    row = [
        d,
        number(mol["D"]["estimate"]), number(lo), number(hi),
        number(mol["r"]["estimate"]), *(number(v) for v in prof["r"]["ci95"]),
        number(exact["D"]["estimate"]), number(exact["r"]["estimate"]),
        number(d_pinn), number(r_pinn), str(inside).lower(),
        number(r_pinn / mol["r"]["estimate"] - 1, "+.3f"),
        str(check.get("agree")).lower(), str(check.get("fits")).lower(),
        number(u.get("difference_rms"), ".3g"), number(u.get("solver_rms"), ".3g"),
        number(u.get("noise_sigma"), ".3g"), number(u.get("misfit_p"), ".2g"),
    ]
    print(",".join(row))
