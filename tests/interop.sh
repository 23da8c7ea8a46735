#!/usr/bin/env bash
# Every table the tools write opens unchanged in pyarrow, pandas, polars and
# DuckDB, with the expected columns, row counts and the model in its metadata.
# Run by `make test` with PYTHON (the test venv) and BIN (the built binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PYTHON:?set PYTHON to the python of the test venv, as make test does}"
: "${BIN:=target/debug}"
check="$PYTHON crates/piml-io/tests/python/check_table.py"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0

expect() { # expect NAME COLUMNS ROWS -- TOOL args...
    local name=$1 columns=$2 rows=$3 tool=$5
    shift 5
    if "$BIN/$tool" "$@" -o "$out/$name.parquet" --quiet && $check "$out/$name.parquet" "$columns" --rows "$rows"; then
        passed=$((passed + 1))
    else
        echo "FAILED: $name: $tool $*" >&2
        failed=$((failed + 1))
    fi
}

expect mm-exact t,S 41 -- simulate testdata/mm-reduced.json --times 0:20:0.5
expect mm-sparse t,S 8 -- simulate testdata/mm-reduced.json --times 0:20:0.5 --noise proportional:0.02 --keep 8 --seed 1
expect robertson t,y1,y2,y3 4 -- simulate testdata/robertson.json --times 0,1,1e5,1e11 --method stiff
expect lv-ensemble t,sample,prey,predator 44 -- simulate testdata/lotka-volterra.json --times 0:10:1 --samples 4 --vary alpha=0.5:2:log
expect conditions t,condition,S 6 -- simulate testdata/mm-reduced.json --times 0,5 --condition all
expect algebraic S,v 21 -- simulate testdata/algebraic-mm.json --input S=0:10:0.5
expect gray-scott t,x,y,u,v 192 -- simulate testdata/gray-scott-2d.json --grid 8,8 --times 0,5,10 --method spectral --dt 1 --perturb 0.05
expect fisher-measured t,x,u 40 -- simulate testdata/fisher-kpp-1d.json --grid 64 --times 0:50:10 --noise gaussian:0.01 --measure 40
expect colloc-2d t,x,y,set,side 1300 -- sample-collocation testdata/gray-scott-2d.json --interior 1000 --boundary 0 --initial 300 --method sobol
expect colloc-1d t,x,set,side,weight 1500 -- sample-collocation testdata/fisher-kpp-1d.json --interior 1000 --boundary 200 --initial 300 --method halton --weights
expect colloc-ode t,set 120 -- sample-collocation testdata/mm-reduced.json --interior 100 --initial 20 --method lhs

echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
