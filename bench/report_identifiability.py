"""Turn the timings of bench/identifiability.sh into the identifiability
section of docs/BENCHMARKS.md.

  python bench/report_identifiability.py RESULTS.jsonl --reports DIR [--out docs/BENCHMARKS.md]
      [--command "bash bench/identifiability.sh"] [--stdout]

RESULTS.jsonl holds time_command.py lines (one per model, "problem" = the
model file's stem, plus one for the bare process start); DIR holds the
structural report of each model (<stem>.json), from which the size of the
problem and the verdicts are taken. The section between
<!-- identifiability:begin --> and <!-- identifiability:end --> is replaced.
"""
import argparse
import datetime
import json
import os
import sys

from report_common import ROOT, git_commit, machine, markers, write_section

BEGIN, END = markers("identifiability")
TARGET_SECONDS = 0.1


def fmt_time(s):
    if s >= 1.0:
        return f"{s:.2f} s"
    return f"{s * 1e3:.1f} ms" if s >= 1e-3 else f"{s * 1e6:.0f} µs"


def model_facts(path):
    with open(os.path.join(ROOT, path)) as f:
        model = json.load(f)
    return len(model.get("species", {}))


def section(all_rows, reports, command, date):
    rows = [r for r in all_rows if r["solver"] == "piml-structural"]
    profile_rows = [r for r in all_rows if r["solver"].startswith("piml-profile")]
    start = next((r for r in rows if r["problem"].startswith("(process start")), None)
    lines = [
        BEGIN,
        "## Structural identifiability: time per model",
        "",
        f"Measured {date} on {machine()}, piml at commit {git_commit() or 'unknown'}"
        f" (load average {os.getloadavg()[0]:.1f} when the report was written: the machine is shared, read times as upper bounds).",
        f"Reproduce with `{command}`.",
        "",
        "Median wall time of the whole `identifiability structural MODEL -o REPORT` process (read the model, "
        "lower it, Taylor series over Z/p, ranks, the search for identifiable combinations, write the report), "
        f"{rows[0]['repeats']} runs after a warm-up run."
        + (f" Starting the process alone (`identifiability --version`) takes {fmt_time(start['seconds'])}; "
           "'beyond start-up' is the difference, an upper bound on the work itself (it still includes "
           "reading the model, starting the thread pool and writing the report with an fsync)."
           if start else ""),
        "States, unknowns (parameters and unknown initial values), rank and Taylor orders come from each model's report. "
        "For comparison, the published times of StructuralIdentifiability.jl's local test on a laptop are 0.1–0.5 s "
        "for models of this size (Dong, Goodbrake, Harrington & Pogudin 2023); no Julia peer runs here, so there is no ratio. "
        f"Target: under {TARGET_SECONDS:g} s per model of up to ~10 states.",
        "",
        "| model | states | unknowns | rank | Taylor orders | non-identifiable | time | beyond start-up | under target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        if r is start:
            continue
        name = r["problem"]
        rep = reports.get(name)
        if rep is None:
            sys.exit(f"error: no report for {name}")
        model_path = r["command"].split()[2]
        states = model_facts(model_path)
        bad = [k for k, v in rep["parameters"].items() if not v["identifiable"]]
        ok = "yes" if r["seconds"] < TARGET_SECONDS else "**no**"
        beyond = fmt_time(max(r["seconds"] - start["seconds"], 0.0)) if start else ""
        lines.append(
            f"| {name} | {states} | {rep['unknowns']} | {rep['rank']} | {rep['taylor_orders']} | "
            f"{len(bad)} | {fmt_time(r['seconds'])} | {beyond} | {ok} |"
        )
    if profile_rows:
        lines += [
            "",
            "### Profile likelihoods: 1 and 2 threads",
            "",
            "Median wall time of `identifiability profile` (fit, then every estimated parameter's profile, "
            "parameters in parallel) on the kcat·Etot Michaelis–Menten model and testdata/identifiability/mm-data.csv.",
            "",
            "| problem | command | time |",
            "|---|---|---:|",
        ]
        for r in profile_rows:
            lines.append(f"| {r['problem']} | {r['solver']} | {fmt_time(r['seconds'])} |")
    lines += ["", END, ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--reports", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--command", default="bash bench/identifiability.sh")
    ap.add_argument("--stdout", action="store_true")
    args = ap.parse_args()
    rows = []
    for path in args.results:
        with open(path) as f:
            rows += [json.loads(line) for line in f if line.strip().startswith("{")]
    if not rows:
        sys.exit("error: no results")
    reports = {}
    for name in os.listdir(args.reports):
        if name.endswith(".json"):
            with open(os.path.join(args.reports, name)) as f:
                reports[name[:-5]] = json.load(f)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = section(rows, reports, args.command, date)
    if args.stdout:
        sys.stdout.write(block)
    else:
        write_section(args.out, block, "identifiability")


if __name__ == "__main__":
    main()
