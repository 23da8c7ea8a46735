#!/usr/bin/env bash
# fit-operator against neuraloperator's FNO on ../shared/peers/rd1d_operator_data.py's data
# (1-D reaction-diffusion, u(x, 0) -> u(x, 1), 1000 train / 200 test samples at 256 points), the
# same architecture (Li et al.'s FNO: lifting, 4 Fourier layers of width 64 keeping the
# frequencies 0..8 with a linear skip, projection through 128; neuraloperator configured so by
# bench/peers/operator_fno.py, where its n_modes=16 keeps 16 // 2 + 1 = 9 frequencies, our
# --modes 9; with its channel MLP off neuraloperator applies GELU twice between Fourier layers,
# fit-operator --gelu-twice), both computing in f32 (fit-operator --precision f32, its default),
# the same hyperparameters (Adam 1e-3 halved every 100 epochs, batch 20, relative
# L2 loss) and the same number of epochs, in one run: time per epoch, held-out
# error at 256 points and at 128/512 (resolution transfer), prediction time for the 200 test
# samples against simulate solving 200 instances. Writes the fit-operator section of
# docs/BENCHMARKS.md.
#
#   bash bench/operator.sh          (part of `make bench`, after `make build`)
#
# Environment: VENV (default venv/), BIN (target/release), EPOCHS (50), THREADS (1),
# OUT (bench/out), REPORT (docs/BENCHMARKS.md), PEERS (../shared/peers), DATA (a directory
# the data script already wrote, to skip generating it again; default: generate).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
VENV=${VENV:-$root/venv}
BIN=${BIN:-target/release}
EPOCHS=${EPOCHS:-50}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/out}
REPORT=${REPORT:-docs/BENCHMARKS.md}
PEERS=${PEERS:-$root/../shared/peers}
VENV="$VENV" bash bench/setup-venv.sh bench/requirements-bench.txt bench/requirements-test.txt
[ -x "$BIN/fit-operator" ] || { echo "operator.sh: $BIN/fit-operator is missing: run make build" >&2; exit 1; }
mkdir -p "$OUT"
results="$OUT/operator-$(date -u +%Y%m%d-%H%M%S).jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${DATA:-}" ]; then
    ln -s "$(cd "$DATA" && pwd)" "$work/data"
else
    "$VENV/bin/python" "$PEERS/rd1d_operator_data.py" --out "$work/data" >"$work/data.log"
fi
for n in 128 512; do
    "$VENV/bin/python" bench/peers/operator_tables.py "$work/data" "$n" "$work/test-$n.csv"
done
# piml: the long table holds all 1200 samples; the last 200 (1/6) are the peer's test set.
"$BIN/fit-operator" train "$work/data/rd1d_long.csv" -o "$work/op.safetensors" --modes 9 \
    --width 64 --layers 4 --projection 128 --gelu-twice --precision f32 --epochs "$EPOCHS" \
    --batch 20 --lr 1e-3 --lr-decay 0.5:100 --test-fraction 0.1666666667 --test-every 10 --threads "$THREADS" \
    --report "$work/train.json" --seed 0 --quiet
"$VENV/bin/python" - "$work" "$THREADS" "$BIN" >>"$results" <<'PY'
import json, subprocess, sys, time
work, threads, bindir = sys.argv[1], sys.argv[2], sys.argv[3]
train = json.load(open(f"{work}/train.json"))
row = {"solver": "fit-operator", "precision": train["config"]["precision"], "threads": int(threads),
       "epochs": train["epochs"], "epoch_s_median": train["timing"]["epoch_seconds_median"],
       "params": train["config"]["parameters"], "test_rel_l2_256": train["test_error"]}
for n in (128, 512):
    out = subprocess.run([f"{bindir}/fit-operator", "eval", f"{work}/op.safetensors",
                          f"{work}/test-{n}.csv", "--threads", threads],
                         capture_output=True, text=True, check=True)
    row[f"test_rel_l2_{n}"] = json.loads(out.stdout)["relative_l2"]["mean"]
# prediction of the 200 test samples at 256 points, whole process (reading the table included)
# and the operator alone
subprocess.run([f"{bindir}/fit-operator", "eval", f"{work}/op.safetensors", f"{work}/test-512.csv"],
               capture_output=True, check=True)
t0 = time.perf_counter()
out = subprocess.run([f"{bindir}/fit-operator", "eval", f"{work}/op.safetensors",
                      f"{work}/data/rd1d_long.csv", "--threads", threads],
                     capture_output=True, text=True, check=True)
row["eval_all_1200_process_s"] = time.perf_counter() - t0
row["predict_1200_s"] = json.loads(out.stdout)["prediction_seconds"]
print(json.dumps(row))
# simulate: 200 random-initial instances of the same model at 256 points, whole process
cmd = [f"{bindir}/simulate", "testdata/rd1d-operator.json", "-o", f"{work}/sim.parquet",
       "--grid", "256", "--times", "0,1", "--samples", "200", "--random-initial", "gaussian:0.1:0.2",
       "--seed", "3", "--threads", threads, "--quiet"]
runs = []
for _ in range(3):
    t0 = time.perf_counter(); subprocess.run(cmd, check=True); runs.append(time.perf_counter() - t0)
print(json.dumps({"solver": "simulate", "threads": int(threads), "instances": 200,
                  "seconds": sorted(runs)[1]}))
info = json.load(open(f"{work}/data/gen_info.json"))
print(json.dumps({"solver": "numpy-etdrk4", "instances": 200,
                  "seconds": info["solver_time_200_test_N256_s"]["median"]}))
PY
"$VENV/bin/python" bench/peers/operator_fno.py "$PEERS/neuraloperator_fno1d.py" --data "$work/data" --out "$work/fno" \
    --epochs "$EPOCHS" --budget 100000 >"$work/fno.log" 2>&1 || { cat "$work/fno.log" >&2; exit 1; }
"$VENV/bin/python" -c 'import json, sys; r = json.load(open(sys.argv[1])); r.update(solver="neuraloperator", precision="float32"); print(json.dumps(r))' \
    "$work/fno/results.json" >>"$results"
"$VENV/bin/python" bench/report_operator.py "$results" "$REPORT"
echo "operator.sh: raw results in $results" >&2
