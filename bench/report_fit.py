"""Turn fit.sh's work directory into the fit section of docs/BENCHMARKS.md,
between <!-- fit:begin --> and <!-- fit:end -->.

  python report_fit.py WORKDIR [--out REPORT.md] [--stdout]

WORKDIR holds results.jsonl (scipy and whole-process lines), mm-fit-*.json
(fit-kinetics result documents, whose wall_seconds is the in-process time of
one fit: reading the data, compiling the model, fitting, the Fisher
information) and lv-fit-{1,2}.json (the multistart runs).
"""

import glob
import json
import os
import statistics
import sys

from report_common import git_commit, machine, report_work_dir


def ms(s):
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def rel(a, b):
    return abs(a - b) / abs(b)


def section(work, command, date):
    rows = [json.loads(line) for line in open(os.path.join(work, "results.jsonl")) if line.strip()]
    by = {r["solver"]: r for r in rows}
    ref = by["closed-form"]
    fits = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, "mm-fit-[0-9]*.json")))]
    if not fits:
        sys.exit("report_fit: no mm-fit-*.json in " + work)
    piml_s = statistics.median(f["wall_seconds"] for f in fits)
    piml = fits[0]["parameters"]
    process = by["piml-fit-kinetics-process"]["seconds"]
    lines = [
        "<!-- fit:begin -->",
        "## Fitting: fit-kinetics against scipy",
        "",
        f"Measured {date} by `{command}` (bench/fit.sh) on {machine()}"
        + (f", commit {git_commit()}" if git_commit() else "") + ".",
        "",
        "Michaelis–Menten time course of the shared peer `scipy_mm_fit.py` (S0 = 10, Vmax = 1, Km = 2, "
        "t = 1…20, Gaussian noise with known σ = 2% of the true value from numpy's `default_rng(0)`; "
        "`bench/peers/fit_scipy.py` writes the same data for fit-kinetics). Both fit (Vmax, Km) from "
        "(0.5, 5) with the ODE at rtol 1e-8, atol 1e-10: scipy's `least_squares` (trf, finite-difference "
        "Jacobian) around `solve_ivp`, fit-kinetics' trust-region Levenberg–Marquardt (projected on the bounds) with the Jacobian from "
        "forward sensitivities, one thread. Estimates are compared with the least-squares fit on the "
        "Lambert-W closed form.",
        "",
        "| fit | time per fit | time ÷ fit-kinetics in-process | Vmax | Km | max rel. diff. to closed form | SE Vmax | SE Km |",
        "|---|---|---|---|---|---|---|---|",
    ]
    v, k = piml["Vmax"]["estimate"], piml["Km"]["estimate"]
    d = max(rel(v, ref["vmax"]), rel(k, ref["km"]))
    lines.append(f"| fit-kinetics (in-process, median of {len(fits)}) | {ms(piml_s)} | 1× | {v:.9f} | {k:.9f} | "
                 f"{d:.1e} | {piml['Vmax']['stderr']:.6f} | {piml['Km']['stderr']:.6f} |")
    lines.append(f"| fit-kinetics (whole process, median of {by['piml-fit-kinetics-process']['repeats']}) | "
                 f"{ms(process)} | {process / piml_s:.1f}× | | | | | |")
    for name in ("scipy-LSODA", "scipy-BDF"):
        if name not in by:
            continue
        r = by[name]
        d = max(rel(r["vmax"], ref["vmax"]), rel(r["km"], ref["km"]))
        lines.append(f"| {name} (median of 5, {r['nfev']} residual evaluations) | {ms(r['median_s'])} | "
                     f"{r['median_s'] / piml_s:.0f}× | {r['vmax']:.9f} | {r['km']:.9f} | {d:.1e} | "
                     f"{r['se_vmax']:.6f} | {r['se_km']:.6f} |")
    lines.append(f"| closed form (Lambert W) | | | {ref['vmax']:.9f} | {ref['km']:.9f} | 0 | "
                 f"{ref['se_vmax']:.6f} | {ref['se_km']:.6f} |")
    lv = {t: json.load(open(os.path.join(work, f"lv-fit-{t}.json"))) for t in (1, 2)}
    s1, s2 = lv[1]["wall_seconds"], lv[2]["wall_seconds"]
    st = lv[1]["starts"]
    lines += [
        "",
        "Lotka–Volterra multistart (`testdata/kinetics/lotka-volterra-initial.json`: α, β, δ, γ and both "
        "initial populations estimated, lognormal noise with σ estimated per observable; data from "
        "`simulate --times 1:30:1 --noise lognormal:0.1 --seed 5`), 100 starts from a Latin hypercube in "
        "the log-bounds:",
        "",
        "| threads | wall time | speed-up | starts converged | starts at the best optimum |",
        "|---|---|---|---|---|",
        f"| 1 | {ms(s1)} | 1× | {st['converged']} | {st['reached_best']} |",
        f"| 2 | {ms(s2)} | {s1 / s2:.2f}× | {lv[2]['starts']['converged']} | {lv[2]['starts']['reached_best']} |",
        "",
        "The two documents agree apart from the command line and the wall time "
        f"(−log L at the optimum {lv[1]['objective']:.10g} and {lv[2]['objective']:.10g}).",
        "<!-- fit:end -->",
        "",
    ]
    return "\n".join(lines)


def main():
    report_work_dir("fit", section, "make bench", __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
