"""Turn pinn.sh's JSON lines into the PINN section of docs/BENCHMARKS.md
(between <!-- pinn:begin --> and <!-- pinn:end -->)."""

import datetime
import json
import statistics
import sys

from report_common import git_commit, machine, write_section


def fmt(seconds):
    return f"{seconds * 1e3:.2f} ms"


def medians(rows, solver):
    """Per (precision, threads), the row of `solver` with the median time over the
    rounds of pinn.sh (the lower middle one for an even count; its GFLOP/s go with
    its time), with the median Adam step where there is one."""
    groups = {}
    for r in rows:
        if r["solver"] == solver:
            groups.setdefault((r["precision"], r["threads"]), []).append(r)
    out = {}
    for key, group in groups.items():
        group.sort(key=lambda r: r["seconds"])
        row = dict(group[(len(group) - 1) // 2])
        if "adam_step_seconds" in row:
            row["adam_step_seconds"] = statistics.median(r["adam_step_seconds"] for r in group)
        row["rounds"] = len(group)
        out[key] = row
    return out


def main():
    results, report = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(results) if line.strip()]
    by_precision = medians(rows, "piml")
    piml = {threads: r for (precision, threads), r in by_precision.items() if precision == "f64"}
    piml32 = {threads: r for (precision, threads), r in by_precision.items() if precision == "f32"}
    torch = medians(rows, "pytorch")
    deepxde = medians(rows, "deepxde")
    peaks = medians(rows, "gemm-peak")
    peak = peaks[("f64", 1)]
    commit = git_commit()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- pinn:begin -->",
        "## PINN loss and gradient: piml-nn against PyTorch",
        "",
        f"Measured {now} on {machine()}, piml at commit {commit}. "
        "Reproduce with `make bench` (or `bash bench/pinn.sh` after `make build`); every figure comes from that one run.",
        "",
        "One evaluation of the inverse Fisher–KPP PINN loss (../shared/peers/deepxde_fisher_inverse.py: "
        "net 2-32-32-32-1 tanh; 2000 interior points with u, u_t, u_xx; 100 boundary points with u_x; "
        f"100 initial and 176 data points with u) and its gradient with respect to all {piml[min(piml)]['weights']} "
        "weights and the unknowns D and k. Both sides use the same points and weights (pinn-bench writes them, "
        "bench/peers/pinn_torch.py reads them); PyTorch computes the derivatives as DeepXDE does, with "
        "autograd and create_graph, then one backward pass. Median wall time per evaluation: pinn.sh runs "
        f"{piml[min(piml)]['rounds']} rounds of piml then PyTorch, each timing its cases for a few seconds "
        "(median over the repeats); each cell is the median over the rounds (the machine is shared, timings are noisy).",
        "",
        "| threads | piml f64 | PyTorch f64 | PyTorch f32 | PyTorch f64 / piml | PyTorch f32 / piml | piml GFLOP/s | share of GEMM peak |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for threads in sorted(piml):
        p = piml[threads]
        t64, t32 = torch.get(("f64", threads)), torch.get(("f32", threads))
        ratio = lambda t: f"{t['seconds'] / p['seconds']:.1f}" if t else ""
        share = p["gflops"] / (peak["gflops"] * threads)
        lines.append(
            f"| {threads} | {fmt(p['seconds'])} | {fmt(t64['seconds']) if t64 else ''} | "
            f"{fmt(t32['seconds']) if t32 else ''} | {ratio(t64)} | {ratio(t32)} | {p['gflops']:.1f} | {share:.0%} |"
        )
    check = torch.get(("f64", 1))
    lines += [
        "",
        f"GEMM peak measured in the same run (median round): {peak['gflops']:.1f} GFLOP/s on one core "
        "([4096×64]·[64×64] f64, nalgebra calling matrixmultiply); the share column divides by "
        "the peak times the thread count. FLOPs counted as 2 × multiply-adds "
        f"({piml[min(piml)]['macs'] / 1e6:.1f} M multiply-adds per evaluation: every stream of every point "
        "forward through each layer and back twice).",
        "",
        f"Same loss on both sides: piml {piml[min(piml)]['loss']:.16g}, PyTorch f64 {check['loss']:.16g}"
        if check else "",
    ]
    if piml32:
        peak32 = peaks[("f32", 1)]
        first = piml32[min(piml32)]
        lines += [
            "",
            "### piml f32 against PyTorch f64 and f32",
            "",
            "The same evaluation with piml's pass in f32 (`Evaluator::with_precision(Precision::F32)`), timed in the "
            "same rounds: the weights are rounded to f32 once per evaluation; every layer's products, activations and "
            "jets, and each block's reverse pass down to its gradient, run in f32 (16 lanes of AVX-512); the input "
            "scaling, the loss and the sums of the blocks' gradients stay in f64, and so do the parameters and the "
            "optimiser. Its loss differs from piml f64's by "
            f"{first['loss_rel_diff_f64']:.1e} (relative) and its gradient by {first['grad_rel_diff_f64']:.1e} "
            "(largest difference over the largest entry). PyTorch f64 and f32 are the columns of the table above.",
            "",
            "| threads | piml f32 | PyTorch f64 | PyTorch f32 | PyTorch f64 / piml f32 | PyTorch f32 / piml f32 | piml f32 GFLOP/s | share of f32 GEMM peak |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for threads in sorted(piml32):
            p = piml32[threads]
            t64, t32 = torch.get(("f64", threads)), torch.get(("f32", threads))
            ratio = lambda t: f"{t['seconds'] / p['seconds']:.1f}" if t else ""
            share = p["gflops"] / (peak32["gflops"] * threads)
            lines.append(
                f"| {threads} | {fmt(p['seconds'])} | {fmt(t64['seconds']) if t64 else ''} | "
                f"{fmt(t32['seconds']) if t32 else ''} | {ratio(t64)} | {ratio(t32)} | {p['gflops']:.1f} | {share:.0%} |"
            )
        lines += [
            "",
            f"f32 GEMM peak measured in the same run (median round): {peak32['gflops']:.1f} GFLOP/s on one core "
            "([4096×64]·[64×64] f32, nalgebra calling matrixmultiply, as for f64).",
        ]
    if deepxde:
        version = next(iter(deepxde.values()))["version"]
        steps = next(iter(deepxde.values()))["steps"]
        runs = next(iter(deepxde.values()))["repeats"]
        lines += [
            "",
            f"### Second peer: DeepXDE {version} (PyTorch backend), one Adam step",
            "",
            "DeepXDE itself on the same problem, set up as ../shared/peers/deepxde_fisher_inverse.py sets it up "
            "(same network, point counts, data points and unknowns; DeepXDE samples its own interior, boundary "
            "and initial points and initialises its own weights, which does not change the cost of a step). "
            "Wall time of one Adam step of `Model.train` (loss, derivatives by nested autograd, backward, update), "
            f"median of {runs} runs of {steps} steps, against one piml Adam step (loss and gradient, then the update), "
            "timed in the same run.",
            "",
            "| threads | piml f64 Adam step | DeepXDE f64 | DeepXDE f32 | DeepXDE f64 / piml | DeepXDE f32 / piml "
            "| piml f32 Adam step | DeepXDE f32 / piml f32 |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for threads in sorted(piml):
            p = piml[threads]
            step = p["adam_step_seconds"]
            d64, d32 = deepxde.get(("f64", threads)), deepxde.get(("f32", threads))
            ratio = lambda d, step: f"{d['seconds'] / step:.1f}" if d else ""
            p32 = piml32.get(threads)
            step32 = p32["adam_step_seconds"] if p32 else None
            lines.append(
                f"| {threads} | {fmt(step)} | {fmt(d64['seconds']) if d64 else ''} | "
                f"{fmt(d32['seconds']) if d32 else ''} | {ratio(d64, step)} | {ratio(d32, step)} | "
                f"{fmt(step32) if p32 else ''} | {ratio(d32, step32) if p32 else ''} |"
            )
    lines.append("<!-- pinn:end -->")
    write_section(report, "\n".join(lines) + "\n", "pinn")
    print(f"report_pinn: wrote the PINN section of {report}", file=sys.stderr)


if __name__ == "__main__":
    main()
