"""Turn petab.sh's work directory into the PEtab section of docs/BENCHMARKS.md, between
<!-- petab:begin --> and <!-- petab:end -->.

  python report_petab.py WORKDIR [--out REPORT.md] [--stdout]

WORKDIR holds results.jsonl (AMICI's lines from peers/petab_amici.py, petab-bench's, the
whole-process timings of fit-kinetics --evaluate and of the fit-kinetics multistart, and
pyPESTO's multistart line), NAME-evaluate.json (fit-kinetics --evaluate documents: the llh
and gradient piml reports at the nominal values), boehm-fit.json and boehm-starts.parquet (the
fit-kinetics multistart), load-before.txt and load-after.txt (uptime).
"""

import csv
import json
import os
import re

from report_common import ROOT, git_commit, machine, report_work_dir

# Boehm's published optimum (REFERENCE.tsv: -138.22199693517703) and how close a start must
# end to count as reaching it.
BOEHM_BEST = -138.2220
REACHED = 0.01


def ms(s):
    return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def load(path):
    m = re.search(r"load average:\s*([\d.]+)", open(path).read()) if os.path.exists(path) else None
    return float(m.group(1)) if m else None


def short(name):
    return name.split("_")[0]


def section(work, command, date):
    rows = [json.loads(line) for line in open(os.path.join(work, "results.jsonl")) if line.strip()]
    by = {(r["problem"], r["kind"], r["solver"]): r for r in rows}
    problems = list(dict.fromkeys(r["problem"] for r in rows if r["kind"] == "simulation"))
    reference = {r["problem"]: float(r["llh_at_nominal"]) for r in csv.DictReader(
        open(os.path.join(ROOT, "testdata/petab/benchmark/REFERENCE.tsv")), delimiter="\t")}
    amici_version = next(r["version"] for r in rows if r["solver"].startswith("amici"))
    piml_version = next(r["version"] for r in rows if r["solver"] == "piml")
    before, after = load(os.path.join(work, "load-before.txt")), load(os.path.join(work, "load-after.txt"))
    nproc = os.cpu_count() or 1
    shared = max(x or 0 for x in (before, after)) > 0.5
    loadtext = (f"load average {before:.2f} before the run and {after:.2f} after it on {nproc} cores"
                if before is not None and after is not None else "load average not recorded")
    lines = [
        "<!-- petab:begin -->",
        "## PEtab problems: piml against AMICI",
        "",
        f"Measured {date} by `{command}` on {machine()}"
        + (f", commit {git_commit()}" if git_commit() else "") + f"; {loadtext}"
        + (" (the machine was shared: read absolute times as upper bounds, ratios from one run as what to trust)."
           if shared else "."),
        "",
        f"Four problems of the PEtab benchmark collection (`testdata/petab/benchmark/`), at their nominal "
        f"(published) parameters, both at rtol = atol = 1e-8, one thread. AMICI {amici_version} (SUNDIALS CVODES, "
        "BDF with a dense direct solver; forward sensitivities) through its PEtab v1 import "
        "(`bench/peers/petab_amici.py`); piml "
        f"{piml_version} (its BDF integrator with forward sensitivities, the model compiled to piml's tape) through `piml_petab::Problem::evaluate` (`bench/petab-bench`, in process) and "
        "`fit-kinetics PROBLEM.yaml --evaluate` (whole process). Each in-process time is the median of "
        f"{by[(problems[0], 'simulation', 'piml')]['repeats']} calls after a warm-up.",
        "",
        "### From the PEtab files to the first log-likelihood and gradient",
        "",
        "AMICI: from the script's start (before `import amici`) to the compiled model loaded (read the tables and "
        "the SBML model, generate C++ and compile it with cmake and ninja), and to its first llh and gradient. "
        f"piml: the whole `fit-kinetics PROBLEM.yaml --evaluate -o doc.json --rtol 1e-8 --atol 1e-8 --threads 1` "
        "process (read the SBML model and the tables, compile the model to piml's tape, llh and gradient, write "
        "the document), median of "
        f"{by[(problems[0], 'process', 'piml-fit-kinetics-evaluate')]['repeats']} runs.",
        "",
        "| problem | parameters | measurements | AMICI import + compile | AMICI first llh + gradient | "
        "piml `--evaluate` process | AMICI ÷ piml |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    reused = []
    for p in problems:
        imp = by[(p, "import", "amici")]
        proc = by[(p, "process", "piml-fit-kinetics-evaluate")]["seconds"]
        piml = by[(p, "simulation", "piml")]
        if imp.get("reused"):
            reused.append(f"{short(p)} ({imp['date']})")
        lines.append(f"| {p} | {piml['parameters']} | {piml['measurements']} | {ms(imp['import_seconds'])} | "
                     f"{ms(imp['first_gradient_seconds'])} | {ms(proc)} | "
                     f"{imp['first_gradient_seconds'] / proc:,.0f}× |")
    if reused:
        lines += ["", "AMICI's import times of " + ", ".join(reused) + " come from the earlier run named, "
                  "whose compiled models this run loaded (`AMICI_REUSE=1`)."]
    for kind, title, what in (
        ("simulation", "Log-likelihood without sensitivities",
         "every condition simulated at the nominal parameters and the llh summed"),
        ("gradient", "Log-likelihood and its gradient (forward sensitivities)",
         "the same with the forward sensitivities and the gradient of the llh (piml also forms the Fisher "
         "information, and its sensitivities cover every row of the parameter table, estimated or not)"),
    ):
        lines += [
            "",
            f"### {title}",
            "",
            f"Time per call, {what}. AMICI two ways: `simulate_petab` with the ExpData objects and the parameter "
            "mapping made once, as an objective function calls it (filling in the parameters, the simulations, "
            "the llh and its gradient gathered on the PEtab parameters, in Python around the C++), and "
            "`run_simulations` alone on the filled ExpData objects (the C++ core). The ratios divide AMICI's "
            "time by piml's: above 1, piml is faster.",
            "",
            "| problem | piml | AMICI `simulate_petab` | ratio | AMICI `run_simulations` | ratio |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        slower = []
        for p in problems:
            piml = by[(p, kind, "piml")]["seconds"]
            a = by[(p, kind, "amici-simulate_petab")]["seconds"]
            c = by[(p, kind, "amici-run_simulations")]["seconds"]
            lines.append(f"| {p} | {ms(piml)} | {ms(a)} | {a / piml:.2f}× | {ms(c)} | {c / piml:.2f}× |")
            for peer, t in (("`simulate_petab`", a), ("`run_simulations`", c)):
                if t < piml:
                    slower.append(f"{short(p)} against {peer} ({t / piml:.2f}×)")
        fastest = ", ".join(
            f"{short(p)} {by[(p, kind, 'amici-run_simulations')]['min_seconds'] / by[(p, kind, 'piml')]['min_seconds']:.2f}×"
            for p in problems)
        lines += ["", (("piml is slower here on " + ", ".join(slower) + ".") if slower
                       else "piml is faster than both on every problem.")
                  + f" On the fastest of the calls of each (less touched by other load on the machine), AMICI "
                  f"`run_simulations` ÷ piml: {fastest}."]
    lines += [
        "",
        "### Values",
        "",
        "The log-likelihood at the nominal parameters: the reference (AMICI's, `REFERENCE.tsv`, at tight "
        "tolerances), then AMICI's and piml's here without sensitivities and with them (with them the "
        "integrator's error test covers the sensitivities too, which tightens the states), the difference "
        "between the two without and with, and the gradients side by side over the estimated parameters: the "
        "largest difference between AMICI's and piml's component divided by the largest component.",
        "",
        "| problem | reference | AMICI | piml | AMICI with gradient | piml with gradient | "
        "\\|piml − AMICI\\| without / with | gradient difference |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for p in problems:
        a0, a1 = (by[(p, k, "amici-simulate_petab")]["llh"] for k in ("simulation", "gradient"))
        p0, p1 = (by[(p, k, "piml")]["llh"] for k in ("simulation", "gradient"))
        doc = json.load(open(os.path.join(work, f"{p}-evaluate.json")))
        ga = by[(p, "gradient", "amici-simulate_petab")]["gradient"]
        gp = {k: v["gradient"] for k, v in doc["parameters"].items() if v["estimate"]}
        common = [k for k in gp if k in ga]
        gdiff = max(abs(gp[k] - ga[k]) for k in common) / max(abs(gp[k]) for k in common)
        ref = reference[p]
        for what, a, b in (("without sensitivities", a0, p0), ("with the gradient", a1, p1)):
            if abs(a - b) > 1e-3:
                notes.append(f"{short(p)} {what}: {abs(a - b):.1e} apart, AMICI {a - ref:+.1e} and piml "
                             f"{b - ref:+.1e} from the reference")
        lines.append(f"| {p} | {ref:.4f} | {a0:.4f} | {p0:.4f} | {a1:.4f} | {p1:.4f} | "
                     f"{abs(p0 - a0):.1e} / {abs(p1 - a1):.1e} | {gdiff:.1e} ({len(common)} parameters) |")
    worst = max(abs(by[(p, "gradient", "piml")]["llh"] - reference[p]) for p in problems)
    if notes:
        lines += ["", "More than 1e-3 apart: " + "; ".join(notes) + ". Each side is off the reference by its own "
                  "integration error at atol = 1e-8 when the states alone drive the error test; with the "
                  f"sensitivities in it, piml is within {worst:.1e} of the reference on every problem."]
    else:
        lines += ["", f"piml and AMICI agree within 1e-3 everywhere; piml with the gradient is within {worst:.1e} "
                  "of the reference on every problem."]

    lines += multistart(work, by)
    lines += ["", f"Reproduce with `{command}` after `make build` (part of `make bench`); every figure comes "
              "from that one run. Raw results: `bench/out/petab-STAMP/`.", "<!-- petab:end -->", ""]
    return "\n".join(lines)


def multistart(work, by):
    import pyarrow.parquet as pq

    name = "Boehm_JProteomeRes2014"
    peer = by.get((name, "multistart", "pypesto-fides-amici"))
    fit_path = os.path.join(work, "boehm-fit.json")
    if peer is None or not os.path.exists(fit_path):
        return []
    fit = json.load(open(fit_path))
    table = pq.read_table(os.path.join(work, "boehm-starts.parquet")).to_pydict()
    llh = table["log_likelihood"]
    piml_hits = [i for i, v in enumerate(llh) if v is not None and v >= BOEHM_BEST - REACHED]
    peer_hits = [v for v in peer["llh"] if v >= BOEHM_BEST - REACHED]
    piml_s = fit["wall_seconds"]
    piml_process = by[(name, "process", "piml-fit-kinetics-starts")]["seconds"]
    versions = peer["versions"]
    n = peer["starts"]

    def per_hit(s, k):
        return ms(s / k) if k else "none reached it"
    peer_starts = json.load(open(os.path.join(work, "pypesto-starts.json")))
    peer_evals = sum(r["n_grad"] for r in peer_starts)
    iterations = table["iterations"]
    cap = fit["settings"]["max_iterations"]
    capped = sum(1 for it, c in zip(iterations, table["converged"]) if it >= cap and not c)
    random_hits = len([i for i in piml_hits if i > 0])
    return [
        "",
        f"### Multistart: Boehm, {n} starts",
        "",
        f"pyPESTO {versions['pypesto']} with fides {versions['fides']} (its default optimiser settings) on "
        "pyPESTO's AMICI objective (the model compiled above, rtol = atol = 1e-8, forward sensitivities), starts "
        "uniform in the bounds on the parameter scale, one process; against "
        f"`fit-kinetics Boehm_JProteomeRes2014.yaml --starts {n} --seed {fit['settings']['seed']} --threads 1 "
        "--rtol 1e-8 --atol 1e-8` (projected trust-region Levenberg–Marquardt on Fisher scoring, gradient and "
        "Fisher information from forward sensitivities; start 0 is the nominal parameter vector, the published "
        "optimum, the others uniform in the bounds on the parameter scale as pyPESTO draws them). Wall time of "
        "the fits alone (pyPESTO's `optimize.minimize`; fit-kinetics' `wall_seconds`), the model already "
        f"compiled or loaded. A start reaches the optimum when its llh is at least {BOEHM_BEST} − {REACHED}. "
        "Evaluations are solves with sensitivities: pyPESTO's gradient evaluations; for fit-kinetics its "
        "iterations, each at most one solve (one trial step), so its time per evaluation is a lower bound.",
        "",
        "| fits | wall time | starts reaching −138.2220 | time per start reaching it | best llh | evaluations | "
        "time per evaluation |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| pyPESTO + fides + AMICI | {ms(peer['seconds'])} | {len(peer_hits)} of {n} | "
        f"{per_hit(peer['seconds'], len(peer_hits))} | {max(peer['llh']):.4f} | {peer_evals} | "
        f"{ms(peer['seconds'] / peer_evals)} |",
        f"| fit-kinetics | {ms(piml_s)} | {len(piml_hits)} of {len(llh)} "
        f"({random_hits} of the {len(llh) - 1} random starts) | "
        f"{per_hit(piml_s, len(piml_hits))} | {max(v for v in llh if v is not None):.4f} | {sum(iterations)} | "
        f"{ms(piml_s / sum(iterations))} |",
        "",
        f"fit-kinetics' whole process (loading the problem, the fits, the documents) took {ms(piml_process)}; "
        f"{capped} of its {len(llh)} starts stopped at the {cap}-iteration limit without converging"
        + (" (the nominal start among them: it sits at the optimum, yet its stationarity test is never met)"
           if iterations[0] >= cap and not table["converged"][0] else "") + ". "
        "Counting only its random starts that reach the optimum (the wall time includes the nominal start), "
        f"its time per start reaching it is {per_hit(piml_s, random_hits)}."
        + (" fit-kinetics is slower than pyPESTO + fides here: " if piml_s > peer["seconds"] else " ")
        + (f"its evaluations cost {peer['seconds'] / peer_evals / (piml_s / sum(iterations)):.1f}× less than "
           f"pyPESTO's, but it makes {sum(iterations) / peer_evals:.1f}× as many."
           if piml_s > peer["seconds"] else ""),
    ]


def main():
    report_work_dir("petab", section, "bash bench/petab.sh", __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
