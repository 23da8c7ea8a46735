"""Turn operator.sh's JSON lines into the fit-operator section of docs/BENCHMARKS.md
(between <!-- fit-operator:begin --> and <!-- fit-operator:end -->)."""

import datetime
import json
import sys

from report_common import git_commit, machine, write_section


def main():
    results, report = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(results) if line.strip()]
    by = {r["solver"]: r for r in rows}
    piml, peer = by["fit-operator"], by["neuraloperator"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    err = lambda r, n: f"{r[f'test_rel_l2_{n}']:.3e}"
    lines = [
        "<!-- fit-operator:begin -->",
        "## fit-operator against neuraloperator: 1-D reaction–diffusion",
        "",
        f"Measured {now} on {machine()}, piml at commit {git_commit()}. "
        "Reproduce with `bash bench/operator.sh` after `make build` (part of `make bench`); every figure comes from that one run.",
        "",
        "Data of ../shared/peers/rd1d_operator_data.py: u_t = 0.005 u_xx + u(1 − u), periodic, u(x, 0) → u(x, 1), "
        "1000 training and 200 test samples at 256 points, test sets at 128 and 512 points from the same initial "
        "conditions. Both sides run the same network, the FNO of Li et al. (2021): a pointwise lifting of (u, x) to "
        "64 channels; 4 Fourier layers, each a spectral convolution keeping the frequencies 0..8 of a real FFT "
        "(complex 64 × 64 weights per frequency) plus a pointwise linear skip, GELU between layers; a projection "
        "64 → 128 → 1 with GELU. neuraloperator 2.0's `FNO(n_modes=(16,), hidden_channels=64, n_layers=4, "
        f"lifting_channel_ratio=0, use_channel_mlp=False)` (bench/peers/operator_fno.py) is that network: in 1-D its "
        "n_modes=16 keeps 16 // 2 + 1 = 9 non-negative frequencies (fit-operator `--modes 9`); its defaults add a "
        "two-layer lifting and a channel MLP in every layer, which the classical FNO does not have. With the channel "
        "MLP off, neuraloperator applies GELU twice between Fourier layers, which fit-operator matches with "
        "`--gelu-twice`; both compute the passes in f32 (fit-operator keeps its weights and Adam in f64). "
        "Parameters: "
        f"{piml['params']:,} real numbers in fit-operator, {peer['params_real']:,} in neuraloperator (its own count, "
        f"{peer['params']:,}, takes a complex weight as one). Training: Adam 1e-3 halved every 100 epochs, batch 20, "
        f"relative L2 loss, {piml['epochs']} epochs, 1 thread each.",
        "",
        "| | precision | threads | parameters | s per epoch (median) | test rel. L2, 256 | 128 | 512 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| fit-operator | {piml['precision']} | {piml['threads']} | {piml['params']} | {piml['epoch_s_median']:.3f} | "
        f"{err(piml, 256)} | {err(piml, 128)} | {err(piml, 512)} |",
        f"| neuraloperator | f32 | {peer['threads']} | {peer['params_real']} | {peer['epoch_s_median']:.3f} | "
        f"{err(peer, 256)} | {err(peer, 128)} | {err(peer, 512)} |",
        "",
        f"Per epoch, neuraloperator / fit-operator: **{peer['epoch_s_median'] / piml['epoch_s_median']:.2f}×**; "
        f"held-out error ratio (fit-operator / neuraloperator) at 256 points: "
        f"{piml['test_rel_l2_256'] / peer['test_rel_l2_256']:.2f}.",
        "",
        "Prediction against solving: fit-operator predicts all 1200 samples (256 points) in "
        f"{piml['predict_1200_s'] * 1e3:.1f} ms (whole `eval` process {piml['eval_all_1200_process_s']:.2f} s, mostly "
        f"reading the 21 MB CSV); `simulate` solves 200 instances of the same model at 256 points in "
        f"{by['simulate']['seconds']:.2f} s per process; the peer script's numpy ETDRK4 solves the 200 test "
        f"instances in {by['numpy-etdrk4']['seconds']:.2f} s.",
        "<!-- fit-operator:end -->",
    ]
    write_section(report, "\n".join(lines) + "\n", "fit-operator")
    print(f"report_operator: wrote the fit-operator section of {report}", file=sys.stderr)


if __name__ == "__main__":
    main()
