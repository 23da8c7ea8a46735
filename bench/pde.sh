#!/usr/bin/env bash
# Reaction-diffusion: piml's simulate against py-pde (numba) on the problems
# of ../shared/peers/pypde_*.py, in one run: Gray-Scott 128^2 periodic to
# t = 5000 and Fisher-KPP 1-D with 512 cells to t = 50; whole-process time,
# stepping time, the error of each against a common reference (piml's ETDRK4
# at dt = 1/8, the same noise-free initial field) and against its own dt/8
# run, piml at a ladder of steps (dt 1 to 64) to find the one that matches
# py-pde's accuracy; Fisher-KPP fronts against Bramson's law and a piml
# tolerance ladder matched the same way; the cost per step from 64^2 to 512^2
# (one thread) and, at 512^2, on every core.
# Writes the PDE section of docs/BENCHMARKS.md.
#
#   bash bench/pde.sh          (part of `make bench`, after `make build`)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PY="$VENV/bin/python"
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt bench/requirements-test.txt
[ -x "$BIN/simulate" ] || { echo "pde.sh: $BIN/simulate is missing: run make build" >&2; exit 1; }
export OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1
mkdir -p "$OUT"
results="$OUT/pde-$(date -u +%Y%m%d-%H%M%S).jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$results"
say() { echo "pde.sh: $*" >&2; }

# piml: one JSON line from simulate's report, plus the whole-process time (each the
# better of two runs); a
# run that fails (a step too large for ETDRK4 ends in a non-finite value, exit
# 1) gives a line with its error instead.
piml() { # piml NAME OUTPUT ARGS...
    local name=$1 output=$2
    shift 2
    rm -f "$work/report.json"
    "$PY" - "$name" "$output" "$work/report.json" "$BIN/simulate" "$@" -o "$output" --report "$work/report.json" --quiet \
        >>"$results" <<'PYEND'
import json, subprocess, sys, time
name, output, report, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
# The better of two runs, as for py-pde (a shared machine preempts single runs).
process = seconds = float("inf")
for _ in range(2):
    start = time.perf_counter()
    run = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        if run.returncode != 1:
            sys.exit(f"pde.sh: {' '.join(command)} exited {run.returncode}: {run.stderr}")
        print(json.dumps({"problem": name, "solver": "piml", "failed": run.stderr.strip().splitlines()[-1]}))
        sys.exit(0)
    process = min(process, time.perf_counter() - start)
    r = json.load(open(report))
    seconds = min(seconds, r["solve_seconds"])
print(json.dumps({"problem": name, "solver": "piml", "process_seconds": process, "seconds": seconds,
                  "steps": r["solver"]["steps"], "output": output}))
PYEND
}

say "Gray-Scott 128^2 to t = 5000"
gs=(testdata/gray-scott-2d.json --grid 128,128 --times 5000 --method spectral)
for dt in 1 2 4 8 16 32 64; do
    piml "gray-scott-128-dt$dt" "$work/gs-dt$dt.parquet" "${gs[@]}" --dt "$dt" --threads 1
done
piml gray-scott-128-reference "$work/gs-ref.parquet" "${gs[@]}" --dt 0.125
"$PY" bench/peers/pde_pypde.py gray-scott --n 128 --no-noise --save "$work/gs-pypde.npy" >>"$results"
"$PY" bench/peers/pde_pypde.py gray-scott --n 128 --no-noise --dt 0.125 --save "$work/gs-pypde-ref.npy" \
    | sed 's/"gray-scott-128"/"gray-scott-128-reference"/' >>"$results"

say "Fisher-KPP 512 cells to t = 50"
for rtol in 1e-6 1e-4 1e-3 1e-2; do
    piml "fisher-kpp-rtol$rtol" "$work/fk-rtol$rtol.parquet" testdata/fisher-kpp-1d.json --grid 512 --times 40,50 \
        --rtol "$rtol" --threads 1
done
piml fisher-kpp-reference "$work/fk-ref.parquet" testdata/fisher-kpp-1d.json --grid 512 --times 40,50 \
    --method stiff --rtol 1e-10 --atol 1e-14 --threads 1
"$PY" bench/peers/pde_pypde.py fisher-kpp >>"$results"

say "cost per step from 64^2 to 512^2"
for n in 64 128 256 512; do
    piml "gray-scott-scaling-$n" "$work/gs-$n.parquet" testdata/gray-scott-2d.json --grid "$n,$n" --times 500 \
        --method spectral --dt 1 --threads 1
done
piml "gray-scott-scaling-512-all-cores" "$work/gs-512-all.parquet" testdata/gray-scott-2d.json --grid 512,512 \
    --times 500 --method spectral --dt 1
for n in 64 256; do
    "$PY" bench/peers/pde_pypde.py gray-scott --n "$n" --no-noise \
        | sed "s/\"gray-scott-$n\"/\"gray-scott-scaling-$n\"/" >>"$results"
done

"$PY" bench/report_pde.py "$results" "$work" "$REPORT"
say "raw results in $results"
