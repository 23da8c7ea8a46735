"""What the benchmark reports share: the machine, the commit, and writing one
section of docs/BENCHMARKS.md between its markers without touching the rest."""

import os
import platform
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 ** 2:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{nproc} cores (nproc), {cpu}{mem}, Linux {platform.release()}"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return None


def markers(name):
    """The lines that open and close section `name` (ode, pde, pinn)."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def splice(text, block, name):
    begin, end = markers(name)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        return head + block.rstrip("\n") + tail
    if not text.strip():
        text = ("# Benchmarks\n\nSide-by-side measurements of piml against peer software, on the same problem "
                "in the same run, reported as ratios. Each section is rewritten by the script named in it; "
                "edit outside the markers only.\n")
    return text.rstrip("\n") + "\n\n" + block


def write_section(path, block, name):
    """Replaces section `name` of the report at `path` (atomically)."""
    old = open(path).read() if os.path.exists(path) else ""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(splice(old, block, name))
    os.replace(tmp, path)


def report_work_dir(name, section, command, description):
    """The command line of a reporter that turns one work directory into the `name` section:
    WORKDIR [--out REPORT.md] [--command TEXT] [--date TEXT] [--stdout]."""
    import argparse
    import datetime
    import sys

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("work")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--command", default=command)
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    ap.add_argument("--stdout", action="store_true", help="print the section instead of writing --out")
    args = ap.parse_args()
    block = section(args.work, args.command, args.date)
    if args.stdout:
        sys.stdout.write(block)
        return
    write_section(args.out, block, name)
    print(f"report_{name}: wrote the {name} section of {args.out}", file=sys.stderr)
