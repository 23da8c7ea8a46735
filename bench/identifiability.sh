#!/usr/bin/env bash
# Identifiability benchmark: wall time of `identifiability structural` on a
# suite of standard models from the identifiability literature (epidemic,
# oscillator, pharmacokinetic, signalling) and on the acceptance models,
# beside the published times of StructuralIdentifiability.jl; and of
# `identifiability profile` on 1 and 2 threads.
# Writes the identifiability section of docs/BENCHMARKS.md.
#
#   bash bench/identifiability.sh            (after `make build`)
#
# Environment: BIN (default target/release), RUNS (whole-process runs per
# model, default 20), OUT (raw results, default bench/out/), REPORT (default
# docs/BENCHMARKS.md), PYTHON (default python3: only the standard library is used).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
BIN=${BIN:-target/release}
RUNS=${RUNS:-20}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PY=${PYTHON:-python3}
case $OUT in /*) ;; *) OUT="$root/$OUT" ;; esac

say() { echo "identifiability.sh: $*" >&2; }
die() { echo "identifiability.sh: error: $*" >&2; exit 1; }

tool="$BIN/identifiability"
[ -x "$tool" ] || die "$tool is missing: build it first (make build, or cargo build --release -p identifiability)"
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
results="$OUT/identifiability-$stamp.jsonl"
reports="$OUT/identifiability-$stamp"
mkdir -p "$reports"
: >"$results"

# What starting the process costs, to read the per-model times against.
"$PY" bench/time_command.py --runs "$RUNS" --problem "(process start: --version)" \
    --solver piml-structural -- "$tool" --version >>"$results"
for model in testdata/identifiability/suite/*.json testdata/identifiability/*.json; do
    name=$(basename "$model" .json)
    say "$name"
    report="$reports/$name.json"
    "$tool" structural "$model" -o "$report" --quiet || die "structural test failed on $model"
    "$PY" bench/time_command.py --runs "$RUNS" --problem "$name" --solver piml-structural \
        -- "$tool" structural "$model" -o "$reports/timed.json" --quiet >>"$results"
done
rm -f "$reports/timed.json"

# Profile likelihoods of the four parameters of the kcat·Etot model on 1 and 2 threads.
for threads in 1 2; do
    say "profile, $threads thread(s)"
    "$PY" bench/time_command.py --runs "$RUNS" --problem "mm-kcat-etot (4 profiles, 20 points)" \
        --solver "piml-profile --threads $threads" -- "$tool" profile testdata/identifiability/mm-kcat-etot.json \
        --data testdata/identifiability/mm-data.csv -o "$reports/profile.parquet" \
        --report "$reports/profile-report.json" --threads "$threads" --quiet >>"$results"
done
rm -f "$reports/profile.parquet" "$reports/profile-report.json"

"$PY" bench/report_identifiability.py "$results" --reports "$reports" --out "$REPORT" \
    --command "bash bench/identifiability.sh"
say "raw results in $results and $reports/"
