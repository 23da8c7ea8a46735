#!/usr/bin/env bash
# Stiff-ODE benchmark: piml against scipy (solve_ivp BDF and LSODA) and
# SUNDIALS CVODE (BDF), on the same problems and tolerances, in one run.
# Writes the ODE section of docs/BENCHMARKS.md.
#
#   bash bench/ode.sh            (what `make bench` runs, after `make build`)
#
# Environment: VENV (default venv/), BIN (default target/release), MIN_SECONDS
# (time spent per solver and case, default 0.5), RUNS (whole-process runs,
# default 10), OUT (raw results, default bench/out/), REPORT (default
# docs/BENCHMARKS.md).
#
# Cases: Robertson to t = 1e11 and HIRES to t = 321.8122, at (rtol, atol) =
# (1e-6, 1e-10) and (1e-10, 1e-14). For each case, in turn: piml's ode-bench,
# scipy, CVODE. Then whole-process timings of `simulate` on Robertson beside a
# Python process running scipy and a process running CVODE. All JSON lines go
# to $OUT/ode-<stamp>.jsonl, and bench/report_ode.py turns them into Markdown.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
MIN_SECONDS=${MIN_SECONDS:-0.5}
RUNS=${RUNS:-10}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PY="$VENV/bin/python"
case $OUT in /*) ;; *) OUT="$root/$OUT" ;; esac

say() { echo "ode.sh: $*" >&2; }
die() { echo "ode.sh: error: $*" >&2; exit 1; }

# --- peers: Python venv with scipy, SUNDIALS CVODE ---------------------------
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt
if [ ! -f /usr/include/cvode/cvode.h ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing SUNDIALS (Debian package libsundials-dev)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsundials-dev >/dev/null
    else
        die "SUNDIALS headers not found: install libsundials-dev (apt-get install libsundials-dev)"
    fi
fi
mkdir -p "$OUT"
make -s -C bench/peers OUT="$OUT"
cvode="$OUT/cvode_ode"

# --- piml ---------------------------------------------------------------------
for tool in ode-bench simulate; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: build it first (make build, or cargo build --release --workspace)"
done

# Peers get one thread each, like the serial piml solvers (and it is their faster setting here).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
results="$OUT/ode-$(date -u +%Y%m%d-%H%M%S).jsonl"
: >"$results"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A T_END=([robertson]=1e11 [hires]=321.8122)
for problem in robertson hires; do
    for tol in "1e-6 1e-10" "1e-10 1e-14"; do
        read -r rtol atol <<<"$tol"
        say "$problem rtol=$rtol atol=$atol"
        "$BIN/ode-bench" --problem "$problem" --model "testdata/$problem.json" --t-end "${T_END[$problem]}" \
            --rtol "$rtol" --atol "$atol" --min-seconds "$MIN_SECONDS" >>"$results" \
            || die "ode-bench failed on $problem (rtol $rtol, atol $atol)"
        "$PY" bench/peers/ode_scipy.py --problem "$problem" --solver BDF,LSODA --tol "$rtol:$atol" \
            --min-seconds "$MIN_SECONDS" >>"$results"
        "$cvode" "$problem" "$rtol" "$atol" "$MIN_SECONDS" >>"$results" \
            || die "CVODE failed on $problem (rtol $rtol, atol $atol)"
    done
done

say "whole-process timings ($RUNS runs each)"
timed() { "$PY" bench/time_command.py --runs "$RUNS" --problem robertson --rtol 1e-6 --atol 1e-10 "$@" >>"$results"; }
timed --solver piml-simulate -- "$BIN/simulate" testdata/robertson.json -o "$tmp/x.parquet" \
    --times 0,1e11 --method stiff --rtol 1e-6 --atol 1e-10
timed --solver "scipy-BDF (python)" -- "$PY" bench/peers/ode_scipy.py --problem robertson --solver BDF \
    --tol 1e-6:1e-10 --once
timed --solver CVODE-BDF -- "$cvode" robertson 1e-6 1e-10 0

"$PY" bench/report_ode.py "$results" --out "$REPORT" --command "make bench" --min-seconds "$MIN_SECONDS"
say "raw results in $results"
