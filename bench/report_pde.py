"""Turn pde.sh's JSON lines (and the fields it saved) into the PDE section of
docs/BENCHMARKS.md, between <!-- pde:begin --> and <!-- pde:end -->.

  python report_pde.py RESULTS.jsonl WORKDIR REPORT.md
"""

import datetime
import json
import sys

from report_common import git_commit, machine, write_section

import numpy as np
import pyarrow.parquet as pq


def piml_v(path, n):
    """v at the last output time as an (x, y) array (simulate writes x fastest)."""
    table = pq.read_table(path).to_pandas()
    last = table[table.t == table.t.max()]
    return last.v.to_numpy().reshape(n, n).T


def rel_l2(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def ms(s):
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def main():
    results, work, report = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = [json.loads(line) for line in open(results) if line.strip()]
    get = lambda problem, solver: next(r for r in rows if r["problem"] == problem and r["solver"] == solver)

    p, q = get("gray-scott-128", "piml"), get("gray-scott-128", "py-pde-euler")
    v_piml, v_piml_ref = piml_v(f"{work}/gs.parquet", 128), piml_v(f"{work}/gs-ref.parquet", 128)
    v_pypde, v_pypde_ref = np.load(f"{work}/gs-pypde.npy")[1], np.load(f"{work}/gs-pypde-ref.npy")[1]
    fp, fq = get("fisher-kpp", "piml"), get("fisher-kpp", "py-pde-euler")
    u = pq.read_table(f"{work}/fk.parquet").to_pandas()
    x, uu = u.x.to_numpy(), u.u.to_numpy()
    i = int(np.where(uu < 0.5)[0][0])
    front = x[i - 1] + (0.5 - uu[i - 1]) * (x[i] - x[i - 1]) / (uu[i] - uu[i - 1])
    bramson = 2 * 50 - 1.5 * np.log(50)

    commit = git_commit()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- pde:begin -->",
        "## Reaction–diffusion: piml against py-pde (numba)",
        "",
        f"Measured {now} on {machine()}, piml at commit {commit}, py-pde {q.get('version')}. "
        "Reproduce with `make bench` (or `bash bench/pde.sh` after `make build`); all figures from that one run, "
        "both sides on one thread.",
        "",
        "Gray–Scott (F = 0.035, k = 0.065, Du = 2e-5, Dv = 1e-5, periodic 128², t = 0…5000, the central square "
        "without noise so both start from the same field): py-pde steps explicit Euler at dt = 1 as its benchmark "
        "does; piml steps ETDRK4 at dt = 1 (`simulate testdata/gray-scott-2d.json --grid 128,128 --method spectral "
        "--dt 1`). Time error: relative L2 difference of v at t = 5000 from the same tool at dt = 1/8.",
        "",
        "| solver | whole process | stepping | per step | time error of v | process ratio | per-step ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| py-pde (Euler, dt 1) | {ms(q['process_seconds'])} | {ms(q['seconds'])} | {q['us_per_step']:.0f} µs | "
        f"{rel_l2(v_pypde, v_pypde_ref):.1e} |  |  |",
        f"| piml (ETDRK4, dt 1) | {ms(p['process_seconds'])} | {ms(p['seconds'])} | {p['seconds'] / p['steps'] * 1e6:.0f} µs | "
        f"{rel_l2(v_piml, v_piml_ref):.1e} | {q['process_seconds'] / p['process_seconds']:.1f} | "
        f"{q['us_per_step'] / (p['seconds'] / p['steps'] * 1e6):.2f} |",
        "",
        f"The two discretisations differ in space (py-pde: second-order finite differences; piml's spectral path: "
        f"Fourier): their dt = 1/8 fields differ by {rel_l2(v_piml_ref, v_pypde_ref):.1e} (relative L2).",
        "",
        "Fisher–KPP (u_t = u_xx + u(1 − u), 512 cells on [0, 200], zero flux, u0 = 1 for x < 10, t = 0…50): "
        "py-pde explicit Euler dt = 0.01 (5000 steps); piml `simulate testdata/fisher-kpp-1d.json --grid 512` "
        "(automatic method, rtol 1e-6, banded BDF). Front position at t = 50 against Bramson's "
        f"2t − (3/2) ln t + const (the constant is not known; {bramson:.2f} without it):",
        "",
        "| solver | whole process | stepping | steps | front at t = 50 | process ratio | stepping ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| py-pde | {ms(fq['process_seconds'])} | {ms(fq['seconds'])} | {fq['steps']} | {fq['front_t50']:.3f} |  |  |",
        f"| piml | {ms(fp['process_seconds'])} | {ms(fp['seconds'])} | {fp['steps']} | {front:.3f} | "
        f"{fq['process_seconds'] / fp['process_seconds']:.1f} | {fq['seconds'] / fp['seconds']:.2f} |",
        "",
        "Cost per step as the grid grows (Gray–Scott, ETDRK4 dt = 1 for piml over 500 steps; py-pde Euler "
        "dt = 1 over 5000 steps):",
        "",
        "| cells | piml per step | py-pde per step |",
        "|---:|---:|---:|",
    ]
    for n in (64, 128, 256, 512):
        pr = get(f"gray-scott-scaling-{n}", "piml")
        qr = next((r for r in rows if r["problem"] == f"gray-scott-scaling-{n}" and r["solver"] == "py-pde-euler"), None)
        if qr is None and n == 128:
            qr = q
        theirs = f"{qr['us_per_step']:.0f} µs" if qr else ""
        lines.append(f"| {n}² | {pr['seconds'] / pr['steps'] * 1e6:.0f} µs | {theirs} |")
    lines += ["<!-- pde:end -->"]
    write_section(report, "\n".join(lines) + "\n", "pde")
    print(f"report_pde: wrote the PDE section of {report}", file=sys.stderr)


if __name__ == "__main__":
    main()
