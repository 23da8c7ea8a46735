"""fit-pinn.sh's helpers: parse DeepXDE's log into a JSON line (`parse LOG PRECISION`), and turn
the JSON lines into the fit-pinn section of docs/BENCHMARKS.md (`report RESULTS REPORT`,
between <!-- fit-pinn:begin --> and <!-- fit-pinn:end -->)."""

import datetime
import json
import re
import statistics
import sys

from report_common import git_commit, machine, write_section

D_TRUE, K_TRUE = 0.02, 2.0


def number(pattern, text):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def parse(log, precision, seed):
    text = open(log).read()
    adam = number(r"\[adam\] .*?wall=([0-9.]+)s", text)
    lbfgs = number(r"\[lbfgs\] .*?wall=([0-9.]+)s", text) or 0.0
    row = {
        "solver": "deepxde",
        "precision": precision,
        "threads": 1,
        "seed": int(seed),
        "adam_steps": int(number(r"\[adam\] iters=([0-9]+)", text)),
        "adam_seconds": adam,
        "lbfgs_iterations": int(number(r"\[lbfgs\] iters=([0-9]+)", text) or 0),
        "lbfgs_evaluations": int(number(r"func_evals=([0-9]+)", text) or 0),
        "lbfgs_seconds": lbfgs,
        "seconds": adam + lbfgs,
        "D": number(r"\[final\] D=([0-9.eE+-]+)", text),
        "k": number(r"\[final\] .*? k=([0-9.eE+-]+)", text),
    }
    print(json.dumps(row))


def error(r, name, truth):
    return abs(r[name] - truth) / truth


def per_1000_adam(r):
    return (r.get("adam_seconds") or 0.0) * 1000 / max(r["adam_steps"], 1)


def report(results, out):
    rows = [json.loads(line) for line in open(results) if line.strip()]
    commit = git_commit()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    peer = [r for r in rows if r["solver"] == "deepxde" and r["precision"] == "float64"]
    ours = [r for r in rows if r["solver"] == "fit-pinn" and r["threads"] == 2 and r["precision"] == "float64"]
    single = {r["solver"]: r for r in rows if r["precision"] == "float32"}
    peer_time = {r["seed"]: r["seconds"] for r in peer}
    lines = [
        "<!-- fit-pinn:begin -->",
        "## fit-pinn against DeepXDE: inverse Fisher–KPP end to end",
        "",
        f"Measured {now} on {machine()}, piml at commit {commit}. "
        "Reproduce with `bash bench/fit-pinn.sh` after `make build` (part of `make bench`); every figure comes from that one run.",
        "",
        "The problem of ../shared/peers/deepxde_fisher_inverse.py: u_t = D u_xx + k u(1 − u) on [0, 1]², "
        "zero flux, D = 0.02 and k = 2 learned from 16 × 11 noise-free points starting at D = 0.1, k = 0.5; "
        "network 2-32-32-32-1 tanh; 2000 interior points plus the 176 data points as anchors, 100 boundary, "
        "100 initial; Adam at 1e-3, then L-BFGS keeping 100 correction pairs (DeepXDE's setting and "
        "fit-pinn's default). Each seed draws its own collocation points and initial weights on each side. "
        "Wall times of training (DeepXDE's own timers; fit-pinn's FIT.json `timing`). "
        "fit-pinn float32 is `--precision f32`: the network pass of its Adam phase in f32, L-BFGS in f64. "
        "The last column divides DeepXDE f64's time for the same seed by this row's.",
        "",
        "| solver | precision | threads | seed | Adam steps | s per 1000 Adam | L-BFGS iterations (evaluations) | ms per L-BFGS evaluation | training s | D error | k error | DeepXDE f64 / this |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        per1000 = per_1000_adam(r)
        per_eval = 1000 * (r.get("lbfgs_seconds") or 0.0) / max(r["lbfgs_evaluations"], 1)
        base = peer_time.get(r["seed"])
        ratio = f"{base / r['seconds']:.1f}" if base and r["seconds"] else ""
        lines.append(
            f"| {r['solver']} | {r['precision']} | {r['threads']} | {r['seed']} | {r['adam_steps']} | {per1000:.2f} | "
            f"{r['lbfgs_iterations']} ({r['lbfgs_evaluations']}) | {per_eval:.2f} | {r['seconds']:.1f} | "
            f"{error(r, 'D', D_TRUE):.2%} | {error(r, 'k', K_TRUE):.2%} | {ratio} |"
        )
    if peer and ours:
        med = statistics.median
        ratio = med(peer_time[r["seed"]] / r["seconds"] for r in ours if r["seed"] in peer_time)
        lines += [
            "",
            f"Over {len(ours)} seeds, median end-to-end ratio DeepXDE f64 / fit-pinn (2 threads): **{ratio:.1f}×**; "
            f"median D error {med(error(r, 'D', D_TRUE) for r in ours):.2%} (fit-pinn) against "
            f"{med(error(r, 'D', D_TRUE) for r in peer):.2%} (DeepXDE f64), median k error "
            f"{med(error(r, 'k', K_TRUE) for r in ours):.3%} against {med(error(r, 'k', K_TRUE) for r in peer):.3%}.",
        ]
    if "fit-pinn" in single and "deepxde" in single:
        ours32, peer32 = single["fit-pinn"], single["deepxde"]
        lines += [
            "",
            f"Both in float32 (seed {ours32['seed']}, fit-pinn on {ours32['threads']} threads): DeepXDE f32 / fit-pinn f32 "
            f"end to end **{peer32['seconds'] / ours32['seconds']:.1f}×**, per 1000 Adam steps "
            f"{per_1000_adam(peer32) / per_1000_adam(ours32):.1f}×; D error {error(ours32, 'D', D_TRUE):.2%} against "
            f"{error(peer32, 'D', D_TRUE):.2%}, k error {error(ours32, 'k', K_TRUE):.3%} against "
            f"{error(peer32, 'k', K_TRUE):.3%}.",
        ]
    lines += ["<!-- fit-pinn:end -->"]
    write_section(out, "\n".join(lines) + "\n", "fit-pinn")
    print(f"report_fit_pinn: wrote the fit-pinn section of {out}", file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "parse":
        parse(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        report(sys.argv[2], sys.argv[3])
