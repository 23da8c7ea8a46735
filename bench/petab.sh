#!/usr/bin/env bash
# PEtab benchmark: piml against AMICI (SUNDIALS CVODES, forward sensitivities) on four
# problems of the PEtab benchmark collection (Boehm, Zheng, Fujita, Elowitz), all at
# rtol = atol = 1e-8 on one thread, in the same run:
#   - AMICI's import + C++ compile of each problem beside piml's whole `fit-kinetics
#     PROBLEM.yaml --evaluate` process (read the SBML and the tables, first llh and gradient);
#   - the log-likelihood at the nominal parameters without sensitivities ("simulation") and
#     with its gradient, median of REPEATS calls in process (bench/peers/petab_amici.py,
#     bench/petab-bench), and the llh each gives beside testdata/petab/benchmark/REFERENCE.tsv;
#   - STARTS multistart fits of Boehm: pyPESTO + fides on the AMICI objective against
#     `fit-kinetics --starts`.
# Writes the petab section of docs/BENCHMARKS.md.
#
#   bash bench/petab.sh          (what `make bench` runs, after `make build`)
#
# Needs Debian's swig, libblas-dev and libhdf5-dev for amici (installed here with apt-get
# when missing and run as root), and installs bench/requirements-petab.txt (amici, petab,
# pypesto, fides, scipy) into $VENV; the venv's bin goes first on PATH (AMICI compiles each
# model with the cmake and ninja pip put there).
#
# Environment: VENV (default venv/), BIN (default target/release), PROBLEMS (default the
# four above), REPEATS (timed calls per kind, default 20), RUNS (whole-process runs, default
# 10), STARTS (multistart starts, default 20), SEED (fit-kinetics' seed, default 1), OUT (raw
# results, default bench/out/), REPORT (default docs/BENCHMARKS.md), AMICI_MODELS (compiled
# models, default $OUT/amici-models). AMICI_REUSE=1 loads the models compiled by an earlier
# run instead of compiling them again (for iterating: the report then shows that run's
# compile times and says so).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
PROBLEMS=${PROBLEMS:-"Boehm_JProteomeRes2014 Zheng_PNAS2012 Fujita_SciSignal2010 Elowitz_Nature2000"}
REPEATS=${REPEATS:-20}
RUNS=${RUNS:-10}
STARTS=${STARTS:-20}
SEED=${SEED:-1}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
case $OUT in /*) ;; *) OUT="$root/$OUT" ;; esac
AMICI_MODELS=${AMICI_MODELS:-$OUT/amici-models}
AMICI_REUSE=${AMICI_REUSE:-0}
PY="$VENV/bin/python"
TOL=(--rtol 1e-8 --atol 1e-8)

say() { echo "petab.sh: $*" >&2; }
die() { echo "petab.sh: error: $*" >&2; exit 1; }

missing=()
for pkg in swig libblas-dev libhdf5-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "amici needs ${missing[*]}: apt-get install ${missing[*]}"
    say "installing ${missing[*]} for amici"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-petab.txt
for tool in fit-kinetics petab-bench; do
    [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: build it first (make build, or cargo build --release -p fit-kinetics -p petab-bench)"
done
export PATH="$VENV/bin:$PATH"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
export AMICI_IMPORT_NPROCS=1
stamp=$(date -u +%Y%m%d-%H%M%S)
work="$OUT/petab-$stamp"
mkdir -p "$work" "$AMICI_MODELS"
results="$work/results.jsonl"
: >"$results"
uptime >"$work/load-before.txt"

reuse=()
[ "$AMICI_REUSE" = 1 ] && reuse=(--reuse)
for name in $PROBLEMS; do
    yaml="testdata/petab/benchmark/$name/$name.yaml"
    [ -f "$yaml" ] || die "no such problem: $yaml"
    say "$name: AMICI import + compile, then $REPEATS simulations and gradients"
    "$PY" bench/peers/petab_amici.py evaluate "$yaml" --name "$name" --models "$AMICI_MODELS" \
        "${TOL[@]}" --repeats "$REPEATS" "${reuse[@]}" >>"$results" 2>"$work/amici-$name.log" \
        || die "AMICI failed on $name (see $work/amici-$name.log)"
    say "$name: piml in process, then $RUNS whole fit-kinetics --evaluate processes"
    "$BIN/petab-bench" --problem "$name" --file "$yaml" "${TOL[@]}" --repeats "$REPEATS" >>"$results"
    "$BIN/fit-kinetics" "$yaml" --evaluate -o "$work/$name-evaluate.json" "${TOL[@]}" --threads 1 -q
    "$PY" bench/time_command.py --runs "$RUNS" --problem "$name" --solver piml-fit-kinetics-evaluate \
        --rtol 1e-8 --atol 1e-8 -- \
        "$BIN/fit-kinetics" "$yaml" --evaluate -o "$work/$name-evaluate-timed.json" "${TOL[@]}" \
        --threads 1 -q >>"$results"
done

boehm=testdata/petab/benchmark/Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml
say "Boehm: $STARTS starts of pyPESTO + fides (AMICI objective), then of fit-kinetics"
"$PY" bench/peers/petab_amici.py multistart "$boehm" --name Boehm_JProteomeRes2014 \
    --models "$AMICI_MODELS" "${TOL[@]}" --starts "$STARTS" --seed "$SEED" \
    --history "$work/pypesto-starts.json" >>"$results" 2>"$work/pypesto-boehm.log" \
    || die "pyPESTO failed on Boehm (see $work/pypesto-boehm.log)"
t0=$(date +%s.%N)
"$BIN/fit-kinetics" "$boehm" --starts "$STARTS" --seed "$SEED" --threads 1 "${TOL[@]}" -q \
    -o "$work/boehm-fit.json" --starts-table "$work/boehm-starts.parquet"
t1=$(date +%s.%N)
printf '{"kind": "process", "problem": "Boehm_JProteomeRes2014", "solver": "piml-fit-kinetics-starts", "seconds": %s}\n' \
    "$(awk "BEGIN { print $t1 - $t0 }")" >>"$results"
uptime >"$work/load-after.txt"

"$PY" bench/report_petab.py "$work" --out "$REPORT" --command "bash bench/petab.sh"
say "raw results in $work"
