#!/usr/bin/env bash
# PINN loss and gradient: piml-nn (its pass in f64 and in f32) against PyTorch
# (autograd with create_graph, as DeepXDE computes it, f64 and f32) on the
# inverse Fisher-KPP problem of ../shared/peers/deepxde_fisher_inverse.py, same
# points and weights, one run.
# Writes the PINN section of docs/BENCHMARKS.md.
#
#   bash bench/pinn.sh          (part of `make bench`, after `make build`)
#
# DeepXDE itself (the PyTorch backend) is timed per Adam step on the same
# problem, DEEPXDE_STEPS steps three times per precision and thread count.
#
# Environment: VENV (default venv/), BIN (target/release), MIN_SECONDS (2),
# ROUNDS (3), DEEPXDE_STEPS (200), OUT (bench/out), REPORT (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
MIN_SECONDS=${MIN_SECONDS:-2}
DEEPXDE_STEPS=${DEEPXDE_STEPS:-200}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt bench/requirements-test.txt
[ -x "$BIN/pinn-bench" ] || { echo "pinn.sh: $BIN/pinn-bench is missing: run make build" >&2; exit 1; }
mkdir -p "$OUT"
results="$OUT/pinn-$(date -u +%Y%m%d-%H%M%S).jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$results"
# Rounds of piml then PyTorch, so that both meet the same load on a shared machine;
# the report takes the median round.
for _ in $(seq "$ROUNDS"); do
    "$BIN/pinn-bench" --out "$work" --threads 1,2 --min-seconds "$MIN_SECONDS" >>"$results"
    "$VENV/bin/python" bench/peers/pinn_torch.py "$work" --threads 1,2 --precision float64,float32 \
        --min-seconds "$MIN_SECONDS" >>"$results"
done
for precision in float64 float32; do
    "$VENV/bin/python" bench/peers/pinn_deepxde.py "$work" --threads 1,2 --precision "$precision" \
        --steps "$DEEPXDE_STEPS" >>"$results" 2>"$work/deepxde-$precision.log" ||
        { cat "$work/deepxde-$precision.log" >&2; exit 1; }
done
"$VENV/bin/python" bench/report_pinn.py "$results" "$REPORT"
echo "pinn.sh: raw results in $results" >&2
