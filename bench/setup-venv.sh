#!/usr/bin/env bash
# Create (once) the Python virtual environment the benchmarks and interop tests
# use, and install a requirements file into it.
#
#   bash bench/setup-venv.sh [REQUIREMENTS...]     (default: bench/requirements-bench.txt)
#   VENV=/path/to/venv bash bench/setup-venv.sh bench/requirements-test.txt
#
# VENV defaults to venv/ in the repository root. Idempotent and fast when
# already set up: each requirements file leaves a stamp in the venv holding
# its checksum, and is installed again only when it changes (or the venv is
# gone). Needs only python3 with its venv module (Debian: python3-venv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$root/venv}"
PYTHON3="${PYTHON3:-python3}"
[ "$#" -gt 0 ] || set -- "$root/bench/requirements-bench.txt"

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-venv: creating $VENV" >&2
    "$PYTHON3" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi

for req in "$@"; do
    if [ ! -f "$req" ]; then
        echo "setup-venv: error: no such requirements file: $req" >&2
        exit 2
    fi
    sum="$(sha256sum "$req" | cut -d' ' -f1)"
    stamp="$VENV/.stamp-$(basename "$req")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        continue
    fi
    echo "setup-venv: installing $req into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$sum" >"$stamp"
done
