#!/usr/bin/env bash
# The Slurm job arrays of pipelines/hpc on a real one-node cluster: installs
# Debian's Slurm and MUNGE when missing, starts munged, slurmctld and slurmd on
# 127.0.0.1 with everything under a temporary folder, runs fit-kinetics
# multistarts, identifiability profiles and a simulate ensemble as
# `sbatch --wait --array` shards plus their merge jobs (pipelines/hpc), and
# checks that each merge equals the unsharded run. Every daemon it started is
# stopped by pid on exit, failure included, and the test fails if one is still
# running.
#   PYTHON=venv/bin/python BIN=target/debug bash tests/slurm.sh   (make test-slurm)
# PYTHON needs pyarrow (make venv-test), for the ensemble merge and the table checks.
# Without root or apt-get it skips (exit 0), except under CI=true, where it fails.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BIN:=target/debug}" "${PYTHON:=venv/bin/python}"
started=$SECONDS

skip() {
    if [ "${CI:-}" = true ]; then
        echo "slurm test: FAILED: $1 (CI must run it)" >&2
        exit 1
    fi
    echo "slurm test: SKIPPED: $1" >&2
    exit 0
}

# The MEASURED.md recipe: Slurm 22.05 from Debian, no systemd needed.
packages=(slurmctld slurmd slurm-client munge)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    [ "$(id -u)" -eq 0 ] || skip "Slurm is not installed and installing it needs root (apt-get install ${packages[*]})"
    command -v apt-get >/dev/null || skip "Slurm is not installed and there is no apt-get to install it"
    echo "== installing ${packages[*]} =="
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d 101 stops the packages' scripts from starting system daemons
    # of their own: this test starts exactly the ones it stops.
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null ||
        { [ -z "$own_policy" ] || rm -f "$policy"; exit 1; }
    [ -z "$own_policy" ] || rm -f "$policy"
fi
for tool in fit-kinetics identifiability simulate; do
    [ -x "$BIN/$tool" ] || { echo "slurm test: $BIN/$tool missing: cargo build -p $tool first" >&2; exit 1; }
done
"$PYTHON" -c 'import pyarrow' || { echo "slurm test: PYTHON=$PYTHON has no pyarrow: make venv-test" >&2; exit 1; }
BIN=$(cd "$BIN" && pwd)
PYTHON=$(command -v "$PYTHON")
export PYTHON # for simulate-merge.sbatch

tmp=$(mktemp -d /tmp/piml-slurm.XXXXXX)
pids=()
passed=0
failed=0
# Job steps run in slurmstepd processes that slurmd detaches; those that were
# not there before the test must be gone after it.
steps_before=" $(pgrep -x slurmstepd | tr '\n' ' ' || true) "
new_steps() {
    local pid stat
    for pid in $(pgrep -x slurmstepd); do
        stat=$(ps -o stat= -p "$pid" || true) # empty: gone meanwhile; Z: exited
        [[ $steps_before == *" $pid "* || -z $stat || $stat == Z* ]] || echo "$pid"
    done
}
cleanup() {
    local rc=$? pid left
    # Reverse order of start: slurmd, slurmctld, munged.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for _ in $(seq 100); do [ -z "$(new_steps)" ] && break; sleep 0.1; done
    # Every daemon was started with a path under $tmp on its command line.
    left="$(pgrep -f -- "$tmp" || true) $(new_steps)"
    if [ -n "${left// /}" ]; then
        echo "FAILED: still running after cleanup: $left" >&2
        failed=$((failed + 1))
    else
        echo "ok: munged, slurmctld, slurmd (pids ${pids[*]}) stopped; pgrep finds none of them left"
        passed=$((passed + 1))
    fi
    # A failure before the checks (a daemon that did not start) counts as one.
    [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
    if [ "$rc" -ne 0 ]; then
        for log in "$tmp"/*.log "$tmp"/munge/*.log "$tmp"/jobs/*.out; do
            [ -f "$log" ] && { echo "== $log =="; tail -n 30 "$log"; } >&2
        done
    fi
    rm -rf "$tmp"
    echo "slurm: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] || exit 1
    exit "$rc"
}
trap cleanup EXIT

# MUNGE, which Slurm authenticates with, refuses to run as root: its key,
# socket, log and pid belong to user munge inside $tmp/munge.
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/jobs"
chmod 711 "$tmp" # munged must reach its folder
chmod 711 "$tmp/munge" # and clients its socket
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
chown -R munge:munge "$tmp/munge"
socket=$tmp/munge/munge.socket
setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --socket="$socket" --key-file="$tmp/munge/munge.key" \
    --log-file="$tmp/munge/munged.log" --pid-file="$tmp/munge/munged.pid" \
    --seed-file="$tmp/munge/munged.seed" 2>>"$tmp/munged-stderr.log" &
pids+=($!)
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { echo "slurm test: munged did not start" >&2; exit 1; }

# Ports from the pid, so that two runs on one machine do not collide.
port=$((20000 + ($$ % 10000) * 2))
conf=$tmp/slurm.conf
cat >"$conf" <<CONF
ClusterName=piml-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=piml NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=piml Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$conf
# In the foreground (-D) each daemon is our child, its pid is $!; they log to
# their files and to stderr, which is kept for a failure.
slurmctld -D -i -f "$conf" 2>"$tmp/slurmctld-stderr.log" &
pids+=($!)
slurmd -D -N piml -f "$conf" 2>"$tmp/slurmd-stderr.log" &
pids+=($!)
state=
for _ in $(seq 120); do
    state=$(sinfo -h -N -o %t 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || { echo "slurm test: the node is '$state', not idle, after 60 s" >&2; exit 1; }
echo "== one-node Slurm $(sinfo -V | cut -d' ' -f2) up on 127.0.0.1:$port after $((SECONDS - started)) s =="

check() { # check NAME COMMAND...: counts and reports one check
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok: $name"
    else
        failed=$((failed + 1))
        echo "FAILED: $name" >&2
    fi
}

sbatch_args=(--wait --quiet --output="$tmp/jobs/%x-%A_%a.out")
same_tables() { # same_tables A B: equal columns, values and piml.model
    "$PYTHON" - "$@" <<'PY'
import sys
import pyarrow.parquet as pq
a, b = sys.argv[1:]
assert pq.read_table(a).equals(pq.read_table(b)), f"{a} and {b} differ"
model = [pq.read_metadata(p).metadata[b"piml.model"] for p in (a, b)]
assert model[0] == model[1], "piml.model differs"
PY
}

# 1. fit-kinetics: Michaelis–Menten against Hill on substrate depletion at three
# initial concentrations with 2% noise (the data of pipelines/michaelis-menten);
# 12 starts each in five tasks, at most two at once on two cores.
data=$tmp/data.parquet
"$BIN/simulate" testdata/kinetics/michaelis-menten.json -o "$data" --condition all \
    --times 1:20:1 --noise proportional:0.02 --seed 7 --quiet
export PIML_BIN=$BIN
export MODELS="testdata/kinetics/michaelis-menten.json testdata/kinetics/hill.json"
export DATA=$data STARTS=12 SEED=3 OUT=$tmp/fk FIT=$tmp/fk-merged.json
# shellcheck disable=SC2086 # a list of model files
"$BIN/fit-kinetics" $MODELS --data "$DATA" --starts "$STARTS" --seed "$SEED" --quiet -o "$tmp/fk-whole.json"
check "sbatch --wait --array=0-4%2 fit-kinetics.sbatch" \
    sbatch "${sbatch_args[@]}" --array=0-4%2 pipelines/hpc/fit-kinetics.sbatch
check "five start tables" test "$(find "$OUT" -name 'starts-*.parquet' | wc -l)" -eq 5
check "sbatch --wait fit-kinetics-merge.sbatch" \
    sbatch "${sbatch_args[@]}" pipelines/hpc/fit-kinetics-merge.sbatch
# fit-kinetics documents `command` and `wall_seconds` as the only fields in
# which a merged run differs from the unsharded one; all else (estimates,
# objective, starts reaching the best, selection) must be equal to the bit.
check "merged FIT.json equals the unsharded run" python3 - "$tmp/fk-whole.json" "$FIT" <<'PY'
import json, sys
whole, merged = (json.load(open(p)) for p in sys.argv[1:])
for doc in (whole, merged):
    for key in ("command", "wall_seconds"):
        doc.pop(key)
best = merged["parameters"]
print("   best model", merged["model"], "objective", merged["objective"],
      "starts reaching it", merged["starts"]["reached_best"], "of", merged["starts"]["total"])
print("  ", {name: p["estimate"] for name, p in best.items()})
assert merged["starts"]["total"] == 12, merged["starts"]
assert whole == merged, "merged document differs from the unsharded one"
PY

# 2. identifiability profile: the three parameters of reduced Michaelis–Menten,
# one per task.
unset FIT # no fit of this model to start from: its own values
export MODEL=testdata/identifiability/mm-reduced.json DATA=testdata/identifiability/mm-data.csv
export OUT=$tmp/prof PROFILES=$tmp/prof-merged.parquet REPORT=$tmp/prof-merged.json
"$BIN/identifiability" profile "$MODEL" --data "$DATA" --quiet \
    -o "$tmp/prof-whole.parquet" --report "$tmp/prof-whole.json"
check "sbatch --wait --array=0-2 identifiability.sbatch" \
    sbatch "${sbatch_args[@]}" --array=0-2 pipelines/hpc/identifiability.sbatch
check "sbatch --wait identifiability-merge.sbatch" \
    sbatch "${sbatch_args[@]}" pipelines/hpc/identifiability-merge.sbatch
check "merged profiles equal the unsharded run" same_tables "$tmp/prof-whole.parquet" "$PROFILES"
# The report's envelope names the command; the profiles must be equal.
check "merged profile report equals the unsharded run" python3 - "$tmp/prof-whole.json" "$REPORT" <<'PY'
import json, sys
whole, merged = (json.load(open(p)) for p in sys.argv[1:])
assert len(whole["parameters"]) == 3, whole["parameters"].keys()
assert whole["parameters"] == merged["parameters"], "profiles differ"
PY

# 3. simulate: a Lotka–Volterra ensemble of 12 draws of alpha in four tasks,
# concatenated by simulate-merge.sbatch.
export MODEL=testdata/lotka-volterra.json SAMPLES=12 SEED=5 SIM_ARGS="--times 0:10:1 --vary alpha=0.5:2:log"
export OUT=$tmp/ens ENSEMBLE=$tmp/ens-merged.parquet
# shellcheck disable=SC2086 # a list of flags
"$BIN/simulate" "$MODEL" --samples "$SAMPLES" --seed "$SEED" $SIM_ARGS --quiet -o "$tmp/ens-whole.parquet"
check "sbatch --wait --array=0-3 simulate.sbatch" \
    sbatch "${sbatch_args[@]}" --array=0-3 pipelines/hpc/simulate.sbatch
check "sbatch --wait simulate-merge.sbatch" \
    sbatch "${sbatch_args[@]}" pipelines/hpc/simulate-merge.sbatch
check "concatenated ensemble equals the unsharded run" same_tables "$tmp/ens-whole.parquet" "$ENSEMBLE"

echo "slurm test: jobs done $((SECONDS - started)) s after the start; stopping the daemons"
