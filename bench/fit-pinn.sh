#!/usr/bin/env bash
# fit-pinn against DeepXDE on the inverse Fisher-KPP problem of
# ../shared/peers/deepxde_fisher_inverse.py, end to end, in one run: the same network
# (2-32-32-32-1 tanh), point counts (2000 interior + 176 data anchors, 100 boundary, 100
# initial), data (16 x 11 noise-free points), starting values (D = 0.1, k = 0.5) and training
# (10k Adam steps at 1e-3, then up to 2k L-BFGS iterations). Writes the fit-pinn section of
# docs/BENCHMARKS.md.
#
#   bash bench/fit-pinn.sh          (part of `make bench`, after `make build`; ~10 minutes)
#
# Both sides run in float64 with each seed of SEEDS (their own points and initial weights per
# seed: a PINN's parameter error varies from seed to seed, so errors are compared as medians);
# fit-pinn on 2 threads (and on 1 for the first seed), DeepXDE on 1; on the first seed both
# also run in float32 (fit-pinn --precision f32: its Adam phase; L-BFGS stays f64).
#
# Environment: VENV (default venv/), BIN (target/release), ADAM (10000), LBFGS (2000),
# SEEDS ("0 1 2"), OUT (bench/out), REPORT (docs/BENCHMARKS.md), PEERS (../shared/peers).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
ADAM=${ADAM:-10000}
LBFGS=${LBFGS:-2000}
SEEDS=${SEEDS:-0 1 2}
first=${SEEDS%% *}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PEERS=${PEERS:-$root/../shared/peers}
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt bench/requirements-test.txt
[ -x "$BIN/fit-pinn" ] || { echo "fit-pinn.sh: $BIN/fit-pinn is missing: run make build" >&2; exit 1; }
mkdir -p "$OUT"
results="$OUT/fit-pinn-$(date -u +%Y%m%d-%H%M%S).jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$VENV/bin/python" bench/peers/fisher_inverse_data.py "$work/data.csv"
: >"$results"
runs=()
for seed in $SEEDS; do runs+=("2 $seed f64"); done
runs+=("1 $first f64" "2 $first f32")
for run in "${runs[@]}"; do
    read -r threads seed precision <<<"$run"
    "$BIN/fit-pinn" testdata/fisher-inverse.json --data "$work/data.csv" -o "$work/fit.json" \
        --set D=0.1 --set r=0.5 --interior 2176 --boundary 100 --initial 100 --layers 3x32 \
        --adam "$ADAM" --lr 1e-3 --lbfgs "$LBFGS" --precision "$precision" --threads "$threads" \
        --seed "$seed" --quiet
    "$VENV/bin/python" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps({"solver": "fit-pinn", "precision": {"f64": "float64", "f32": "float32"}[d["precision"]["adam"]], "threads": int(sys.argv[2]), "seed": int(sys.argv[3]), "D": d["parameters"]["D"]["estimate"], "k": d["parameters"]["r"]["estimate"], "adam_steps": d["iterations"]["adam"], "lbfgs_iterations": d["iterations"]["lbfgs"], "lbfgs_evaluations": d["iterations"]["lbfgs_evaluations"], **d["timing"]}))' \
        "$work/fit.json" "$threads" "$seed" >>"$results"
done
peer_runs=()
for seed in $SEEDS; do peer_runs+=("float64 $seed"); done
peer_runs+=("float32 $first")
for run in "${peer_runs[@]}"; do
    read -r precision seed <<<"$run"
    DDE_BACKEND=pytorch NTHREADS=1 "$VENV/bin/python" "$PEERS/deepxde_fisher_inverse.py" \
        "$ADAM" "$LBFGS" "$precision" "$seed" >"$work/deepxde.log" 2>&1 \
        || { cat "$work/deepxde.log" >&2; exit 1; }
    "$VENV/bin/python" bench/report_fit_pinn.py parse "$work/deepxde.log" "$precision" "$seed" >>"$results"
done
"$VENV/bin/python" bench/report_fit_pinn.py report "$results" "$REPORT"
echo "fit-pinn.sh: raw results in $results" >&2
