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
    piml = {threads: r for (_, threads), r in medians(rows, "piml").items()}
    torch = medians(rows, "pytorch")
    deepxde = medians(rows, "deepxde")
    peak = medians(rows, "gemm-peak")[("f64", 1)]
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
            "| threads | piml f64 Adam step | DeepXDE f64 | DeepXDE f32 | DeepXDE f64 / piml | DeepXDE f32 / piml |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for threads in sorted(piml):
            p = piml[threads]
            step = p["adam_step_seconds"]
            d64, d32 = deepxde.get(("f64", threads)), deepxde.get(("f32", threads))
            ratio = lambda d: f"{d['seconds'] / step:.1f}" if d else ""
            lines.append(
                f"| {threads} | {fmt(step)} | {fmt(d64['seconds']) if d64 else ''} | "
                f"{fmt(d32['seconds']) if d32 else ''} | {ratio(d64)} | {ratio(d32)} |"
            )
    lines.append("<!-- pinn:end -->")
    write_section(report, "\n".join(lines) + "\n", "pinn")
    print(f"report_pinn: wrote the PINN section of {report}", file=sys.stderr)


if __name__ == "__main__":
    main()
