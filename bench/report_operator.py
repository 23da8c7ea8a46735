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
        "conditions. Both sides: FNO with 16 modes, width 64, 4 Fourier layers, Adam 1e-3 halved every 100 epochs, "
        f"batch 20, relative L2 loss, {piml['epochs']} epochs. neuraloperator 2.0's FNO adds channel-MLP skips and a "
        "two-layer lifting, so it has more parameters; fit-operator is the classical FNO of Li et al. (2021).",
        "",
        "| | precision | threads | parameters | s per epoch (median) | test rel. L2, 256 | 128 | 512 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| fit-operator | f64 | {piml['threads']} | {piml['params']} | {piml['epoch_s_median']:.3f} | "
        f"{err(piml, 256)} | {err(piml, 128)} | {err(piml, 512)} |",
        f"| neuraloperator | f32 | {peer['threads']} | {peer['params']} | {peer['epoch_s_median']:.3f} | "
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
