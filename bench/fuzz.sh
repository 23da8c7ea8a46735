#!/usr/bin/env bash
# Generated and mutated model files (crates/piml-model/tests/generated_models.rs) through the
# model reader in process, COUNT of them (10^6 by default): prints the count, the panics and the
# slowest input. Then every thousandth input through the `simulate` and `nondim` binaries: each
# must exit 0 (read and ran), 1 (a valid model whose computation failed) or 2 (bad input),
# within TIMEOUT seconds, never by a signal or a panic (101).
#
#   bash bench/fuzz.sh                  # release profile, 10^6 inputs
#   PROFILE=dev COUNT=100000 bash bench/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-1000000}
SEED=${SEED:-1}
PROFILE=${PROFILE:-release}
TIMEOUT=${TIMEOUT:-20}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"
SAMPLE=$(mktemp -d)
trap 'rm -rf "$SAMPLE"' EXIT

cargo build --profile "$PROFILE" -p simulate -p nondim
status=0
PIML_FUZZ_COUNT=$COUNT PIML_FUZZ_SEED=$SEED PIML_FUZZ_SAMPLE_DIR=$SAMPLE \
    cargo test --profile "$PROFILE" -p piml-model --test generated_models -- \
    --ignored --nocapture >"$SAMPLE/library.log" 2>&1 || status=$?
grep -E '^fuzz:|^input #|^  input:' "$SAMPLE/library.log" || tail -20 "$SAMPLE/library.log"

declare -A codes=()
bad=0
for input in "$SAMPLE"/input-*.json; do
    for tool in simulate nondim; do
        run=0
        output="$SAMPLE/out.$([ "$tool" = simulate ] && echo parquet || echo json)"
        timeout "$TIMEOUT" "$BIN/$tool" "$input" -o "$output" --quiet \
            >/dev/null 2>"$SAMPLE/stderr" || run=$?
        codes[$tool:$run]=$(( ${codes[$tool:$run]:-0} + 1 ))
        if [[ $run -ne 0 && $run -ne 1 && $run -ne 2 ]]; then
            bad=$((bad + 1))
            echo "$tool $(basename "$input"): exit $run: $(head -c 300 "$SAMPLE/stderr")"
        fi
        rm -f "$output"
    done
done
for key in $(printf '%s\n' "${!codes[@]}" | sort); do
    echo "tools: ${key%%:*} exit ${key##*:}: ${codes[$key]} inputs"
done
echo "tools: $bad runs ended otherwise than 0, 1 or 2"
[ "$status" -eq 0 ] && [ "$bad" -eq 0 ]
