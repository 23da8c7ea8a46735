"""Turn the timings of bench/demo.sh into the demo section of docs/BENCHMARKS.md.

  python bench/report_demo.py RESULTS.jsonl [--out docs/BENCHMARKS.md] [--command "bash bench/demo.sh"]

RESULTS.jsonl holds two lines, "cold" (fresh clone, empty target directory) and "pipeline"
(everything built). The section between <!-- demo:begin --> and <!-- demo:end --> is replaced.
"""
import argparse
import datetime
import json

from report_common import git_commit, machine, markers, write_section

BEGIN, END = markers("demo")
TARGET_SECONDS = 180.0


def section(runs, command, date):
    cold, pipeline = runs["cold"], runs["pipeline"]
    build = cold["wall"] - pipeline["wall"]
    cpu = cold["user"] + cold["system"]
    ok = "yes" if cold["wall"] < TARGET_SECONDS else "**no**"
    return "\n".join([
        BEGIN,
        "## make demo from a fresh clone",
        "",
        f"Measured {date} on {machine()}, piml at commit {git_commit() or 'unknown'}, load average "
        f"{cold['load_before']:.2f} before the run. Reproduce with `{command}`.",
        "",
        "A fresh clone of the committed HEAD and an empty target directory: `make demo` compiles the four "
        "tools of the Michaelis–Menten pipeline and their dependencies in the dev profile (dependencies "
        "unoptimised except the numeric ones, see Cargo.toml), then simulates, fits three mechanisms, "
        "profiles and draws. Crates come from cargo's download cache (a new machine also downloads "
        "them). The pipeline alone is a second `make demo` after the pipeline's `make clean`. "
        f"Target: under {TARGET_SECONDS / 60:.0f} minutes on 2 cores.",
        "",
        "| run | wall | CPU (user + system) | under target |",
        "|---|---:|---:|:---:|",
        f"| `make demo`, cold | {cold['wall']:.0f} s | {cpu:.0f} s | {ok} |",
        f"| of which compiling (difference) | {build:.0f} s | | |",
        f"| the pipeline alone | {pipeline['wall']:.1f} s | {pipeline['user'] + pipeline['system']:.1f} s | |",
        END,
        "",
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out", default="docs/BENCHMARKS.md")
    ap.add_argument("--command", default="bash bench/demo.sh")
    args = ap.parse_args()
    with open(args.results) as f:
        runs = {r["run"]: r for r in map(json.loads, filter(str.strip, f))}
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    write_section(args.out, section(runs, args.command, date), "demo")


if __name__ == "__main__":
    main()
