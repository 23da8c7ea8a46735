"""Whole-process timing: run a command N times (after one warm-up run) and
print one JSON line with the median wall time, for bench/ode.sh.

  python bench/time_command.py --runs 10 --problem robertson --solver piml-simulate \
      --rtol 1e-6 --atol 1e-10 -- target/release/simulate testdata/robertson.json ...

The command's stdout is discarded; a failing run stops the timing with exit 1
and shows the command's stderr.
"""
import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--problem", required=True)
    ap.add_argument("--solver", required=True)
    ap.add_argument("--rtol", type=float)
    ap.add_argument("--atol", type=float)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given (put it after --)")
    times = []
    for i in range(args.runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr.decode(errors="replace"))
            sys.exit(f"time_command: exit status {proc.returncode}: {shlex.join(cmd)}")
        if i > 0:  # the first run warms the page cache
            times.append(dt)
    print(json.dumps(dict(kind="process", problem=args.problem, solver=args.solver, rtol=args.rtol,
                          atol=args.atol, seconds=statistics.median(times), repeats=len(times),
                          min_seconds=min(times), command=shlex.join(cmd))), flush=True)


if __name__ == "__main__":
    main()
