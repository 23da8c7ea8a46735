"""Turn the JSON lines of bench/ode.sh into the ODE section of docs/BENCHMARKS.md.

  python bench/report_ode.py RESULTS.jsonl [...] [--out docs/BENCHMARKS.md]
      [--refs testdata/stiff-references.json] [--command "make bench"] [--stdout]

Each input line is one JSON object. Solver lines (ode_scipy.py, cvode_ode,
ode-bench) carry problem, solver, rtol, atol, seconds, repeats, y_end, steps;
whole-process lines (time_command.py) carry "kind": "process". Accuracy is
recomputed here from y_end for every solver alike: the largest |y - ref|/|ref|
over the components whose reference exceeds 1e-20 in magnitude.

The section between <!-- ode:begin --> and <!-- ode:end --> is replaced (the
file and the markers are created when missing); the rest of the file is kept.
"""
import argparse
import datetime
import json
import os
import sys

from report_common import ROOT, git_commit, machine, markers, write_section

BEGIN, END = markers("ode")
PROBLEM_ORDER = ["robertson", "hires", "orego", "e5"]
SOLVER_ORDER = ["piml-BDF", "piml-auto", "scipy-BDF", "scipy-LSODA", "CVODE-BDF"]
PEERS = ["scipy-BDF", "scipy-LSODA", "CVODE-BDF"]  # ratio columns: peer time / piml time


def read_lines(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or not line.startswith("{"):
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"error: {path}:{n}: not a JSON object: {e}")
                missing = [k for k in ("problem", "solver", "seconds") if k not in row]
                if missing:
                    sys.exit(f"error: {path}:{n}: missing field(s) {', '.join(missing)}")
                rows.append(row)
    return rows


def rel_err(row, refs):
    ref = refs.get(row.get("problem"))
    y = row.get("y_end")
    if ref is None or not y:
        return row.get("max_rel_err")
    values = list(ref["y"].values())
    if len(values) != len(y):
        return None
    errs = [abs(a - r) / abs(r) for a, r in zip(y, values) if abs(r) > 1e-20]
    return max(errs) if errs else None


def order(seq, key):
    return (seq.index(key), key) if key in seq else (len(seq), key)


def fmt_time(s):
    if s is None:
        return "–"
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} µs"


def fmt_err(e):
    return "–" if e is None else f"{e:.1e}"


def fmt_tol(r, a):
    return f"{r:g} / {a:g}" if r is not None and a is not None else "–"


def fmt_ratio(num, den):
    if not num or not den:
        return "n/a"
    return f"{num / den:.3g}"


def section(rows, refs, command, date, min_seconds=0.5):
    solves = [r for r in rows if r.get("kind", "solve") == "solve"]
    procs = [r for r in rows if r.get("kind") == "process"]
    out = [BEGIN, "## Stiff ODEs: piml against scipy and SUNDIALS CVODE", ""]
    commit = git_commit()
    out.append(f"Measured {date} on {machine()}" + (f", piml at commit {commit}" if commit else "") + ".")
    out.append(f"Reproduce with `{command}` (equivalently `bash bench/ode.sh`); every figure below comes "
               "from that one run, peers and piml side by side.")
    out.append("")
    out.append("### Time per solve")
    out.append("")
    out.append("Median wall time of one solve inside one process (after a warm-up solve; repeated until at "
               f"least {min_seconds:g} s were spent), a fresh integrator for each solve (the model itself is read once). Ratios are peer time / piml "
               "time on the same problem and tolerances: above 1, piml is faster. Accuracy: the largest "
               "relative error of y(t_end) over components above 1e-20 against the published reference "
               "(testdata/stiff-references.json).")
    out.append("")
    out.append("| problem | rtol / atol | solver | time | runs | steps | max rel err | "
               + " | ".join(f"{p} / piml" for p in PEERS) + " |")
    out.append("|---|---|---|---:|---:|---:|---:|" + "---:|" * len(PEERS))
    cases = {}
    for r in solves:
        cases.setdefault((r["problem"], r.get("rtol"), r.get("atol")), []).append(r)
    for key in sorted(cases, key=lambda k: (order(PROBLEM_ORDER, k[0]), -(k[1] or 0), -(k[2] or 0))):
        group = sorted(cases[key], key=lambda r: order(SOLVER_ORDER, r["solver"]))
        by_solver = {r["solver"]: r for r in group}
        for r in group:
            ok = r.get("success", True)
            time_cell = fmt_time(r.get("seconds")) + ("" if ok else " (failed)")
            if r["solver"].startswith("piml"):
                ratios = [fmt_ratio(by_solver.get(p, {}).get("seconds"), r.get("seconds")) for p in PEERS]
            else:
                ratios = ["" for _ in PEERS]
            out.append(f"| {key[0]} | {fmt_tol(key[1], key[2])} | {r['solver']} | {time_cell} | "
                       f"{r.get('repeats', '–')} | {r.get('steps', '–')} | {fmt_err(rel_err(r, refs))} | "
                       + " | ".join(ratios) + " |")
    if not any(r["solver"].startswith("piml") for r in solves):
        out += ["", "**No piml results in this run: the ratio columns are empty.**"]
    if procs:
        out += ["", "### Whole process", "",
                "Median wall time of the whole command (process start, reading the model, solving, and for "
                "piml writing the Parquet table), after one warm-up run. Ratio: peer / piml-simulate.", "",
                "| problem | rtol / atol | solver | time | runs | peer / piml | command |",
                "|---|---|---|---:|---:|---:|---|"]
        base = next((p["seconds"] for p in procs if p["solver"].startswith("piml")), None)
        for p in sorted(procs, key=lambda p: (order(PROBLEM_ORDER, p["problem"]), not p["solver"].startswith("piml"))):
            ratio = "" if p["solver"].startswith("piml") else fmt_ratio(p["seconds"], base)
            out.append(f"| {p['problem']} | {fmt_tol(p.get('rtol'), p.get('atol'))} | {p['solver']} | "
                       f"{fmt_time(p['seconds'])} | {p.get('repeats', '–')} | {ratio} | `{p.get('command', '').replace(ROOT + '/', '')}` |")
    versions = sorted({r["peer"] for r in rows if r.get("peer")})
    piml = sorted({r["version"] for r in solves if r.get("solver", "").startswith("piml") and r.get("version")})
    out += ["", "Software: " + "; ".join(versions + [f"piml {v}" for v in piml]) + "."
            if versions or piml else "", ""]
    out.append("scipy runs `solve_ivp` with analytic Jacobians (bench/peers/ode_scipy.py); CVODE runs BDF with "
               "the dense direct solver and the analytic Jacobian (bench/peers/cvode_ode.c); peers run with "
               "OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1. Problems: Robertson to t = 1e11 and HIRES to "
               "t = 321.8122 from the Test Set for IVP Solvers (Mazzia & Magherini, Bari).")
    out.append(END)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--refs", default=os.path.join(ROOT, "testdata", "stiff-references.json"))
    ap.add_argument("--command", default="make bench")
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    ap.add_argument("--min-seconds", type=float, default=0.5, help="as passed to the solvers (for the text)")
    ap.add_argument("--stdout", action="store_true", help="print the section instead of writing --out")
    args = ap.parse_args()
    rows = read_lines(args.results)
    if not rows:
        sys.exit("error: no results in " + ", ".join(args.results))
    with open(args.refs) as f:
        refs = json.load(f)
    block = section(rows, refs, args.command, args.date, args.min_seconds)
    if args.stdout:
        sys.stdout.write(block)
        return
    write_section(args.out, block, "ode")
    print(f"report_ode: wrote the ODE section of {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
