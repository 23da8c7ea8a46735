#!/usr/bin/env bash
# Fitting benchmark: fit-kinetics against scipy (least_squares around
# solve_ivp LSODA and BDF) on the Michaelis-Menten time course of the shared
# peer scipy_mm_fit.py (same data: numpy default_rng(0)), and a 100-start
# Lotka-Volterra multistart on 1 and 2 threads. Writes the fit section of
# docs/BENCHMARKS.md.
#
#   bash bench/fit.sh            (what `make bench` runs, after `make build`)
#
# Environment: VENV (default venv/), BIN (default target/release), RUNS
# (fit-kinetics runs, default 20), REPEATS (scipy fits per ODE method,
# default 5), OUT (raw results, default bench/out/), REPORT (default
# docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
RUNS=${RUNS:-20}
REPEATS=${REPEATS:-5}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PY="$VENV/bin/python"
case $OUT in /*) ;; *) OUT="$root/$OUT" ;; esac

say() { echo "fit.sh: $*" >&2; }
die() { echo "fit.sh: error: $*" >&2; exit 1; }

VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt
for tool in fit-kinetics simulate; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: build it first (make build, or cargo build --release --workspace)"
done
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
stamp=$(date -u +%Y%m%d-%H%M%S)
work="$OUT/fit-$stamp"
mkdir -p "$work"
results="$work/results.jsonl"
: >"$results"

say "Michaelis-Menten: the peer's data, then $RUNS fit-kinetics fits and $REPEATS scipy fits per ODE method"
"$PY" bench/peers/fit_scipy.py --write-data "$work/mm.parquet"
for i in $(seq 1 "$RUNS"); do
    "$BIN/fit-kinetics" testdata/kinetics/mm-time-course.json --data "$work/mm.parquet" \
        -o "$work/mm-fit-$i.json" --rtol 1e-8 --atol 1e-10 --threads 1 -q \
        || die "fit-kinetics failed on the MM data"
done
"$PY" bench/time_command.py --runs "$RUNS" --problem mm-fit --solver piml-fit-kinetics-process -- \
    "$BIN/fit-kinetics" testdata/kinetics/mm-time-course.json --data "$work/mm.parquet" \
    -o "$work/mm-fit-timed.json" --rtol 1e-8 --atol 1e-10 --threads 1 -q >>"$results"
"$PY" bench/peers/fit_scipy.py --ode LSODA,BDF --repeats "$REPEATS" >>"$results"

say "Lotka-Volterra: 100 starts on 1 and 2 threads"
"$BIN/simulate" testdata/kinetics/lotka-volterra-initial.json -o "$work/lv.parquet" \
    --times 1:30:1 --noise lognormal:0.1 --seed 5
for threads in 1 2; do
    "$BIN/fit-kinetics" testdata/kinetics/lotka-volterra-initial.json --data "$work/lv.parquet" \
        --starts 100 --seed 1 --threads "$threads" -q -o "$work/lv-fit-$threads.json" \
        || die "fit-kinetics failed on the Lotka-Volterra data"
done

"$PY" bench/report_fit.py "$work" --out "$REPORT" --command "make bench"
say "raw results in $work"
