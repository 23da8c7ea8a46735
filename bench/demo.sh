#!/usr/bin/env bash
# `make demo` as a newcomer runs it: a fresh clone of the committed HEAD with an empty target
# directory, so every dependency compiles (the crates themselves come from cargo's download
# cache: a first run on a new machine also downloads them). Then the pipeline alone: a second
# `make demo` after the pipeline's `make clean`, with everything built. Wall and CPU seconds of
# both; the target is under 3 minutes on 2 cores. Writes the demo section of docs/BENCHMARKS.md.
#
#   bash bench/demo.sh          (on a quiet machine: the wall time is the measurement)
#
# Environment: REPORT (docs/BENCHMARKS.md), OUT (bench/out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
REPORT=${REPORT:-docs/BENCHMARKS.md}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
results="$(cd "$OUT" && pwd)/demo-$(date -u +%Y%m%d-%H%M%S).jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$root" "$work/piml"
load=$(cut -d' ' -f1 /proc/loadavg)
# One JSON line per run: wall, user and system seconds of `make demo` and its children.
timed() {
    local name=$1
    shift
    /usr/bin/time -f "{\"run\": \"$name\", \"wall\": %e, \"user\": %U, \"system\": %S, \"load_before\": $load}" \
        -o "$work/$name.json" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
    cat "$work/$name.json" >>"$results"
}
(cd "$work/piml" && unset CARGO_TARGET_DIR && timed cold make demo)
(cd "$work/piml" && make -C pipelines/michaelis-menten clean >/dev/null && timed pipeline make demo)
for png in fit.png profiles.png; do
    [ -s "$work/piml/pipelines/michaelis-menten/$png" ] || { echo "demo.sh: $png was not drawn" >&2; exit 1; }
done
python3 bench/report_demo.py "$results" --out "$REPORT" --command "bash bench/demo.sh"
