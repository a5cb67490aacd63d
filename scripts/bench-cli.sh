#!/usr/bin/env bash
# Measures schedctl as researchers script it (issue 31, section 4), from release builds, against a controller
# alone (no agent registered, so jobs are accepted and wait, as Slurm's `sbatch --hold` jobs do):
#  - a serial loop of `schedctl submit --gpus 1 --account ivi -- true`: submissions per second, each a new
#    process, its start-up included; as users run it (the first submit starts the user's schedctl server,
#    which takes the next ones: docs/schedctl.md, "In scripts") and with RASPORED_SCHEDCTL_SERVER=off;
#  - `schedctl --help`, and `schedctl queue` with 300 jobs: ms per call;
#  - the controller's own part of a submission, to tell the client's time from the server's: the same
#    submissions as `curl -X POST`, timed from the request sent to the answer's first byte (median).
# With --slurm, the Slurm anchor (../shared/anchors/slurm: Slurm 22.05, six emulated nodes) runs beside it
# and its `sbatch -n 1 --hold -o /dev/null --wrap=true` loop, `sbatch --help` and `squeue` with 300 jobs
# are measured alternately with schedctl's, in the same rounds, so both see the same other load.
#
#   scripts/bench-cli.sh [--slurm] [JOBS [ROUNDS]]     (default 1000 jobs in 5 rounds)
#
# SCRATCH: the build folder (default .build-release); SCHEDCTL, SCHEDULERD: binaries to measure instead of
# building; BASELINE: another schedctl (an earlier build), measured in the same rounds as SCHEDCTL, its
# figures printed as baseline_*. Prints `metric value` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
slurm=0
if [ "${1:-}" = --slurm ]; then
    slurm=1
    shift
fi
jobs=${1:-1000}
rounds=${2:-5}
per=$((jobs / rounds))
scratch=${SCRATCH:-.build-release}
if [ -z "${SCHEDCTL:-}" ] || [ -z "${SCHEDULERD:-}" ]; then
    scripts/deps.sh
    for p in schedulerd schedctl; do swift build -c release --scratch-path "$scratch" --product "$p" >&2; done
fi
schedctl=${SCHEDCTL:-$root/$scratch/release/schedctl}
schedulerd=${SCHEDULERD:-$root/$scratch/release/schedulerd}
anchor=$root/../shared/anchors/slurm
work=$(mktemp -d /tmp/raspored-bench-cli.XXXXXX)
port=$((20000 + RANDOM % 10000))
pid=
slurm_started=0
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    pkill -f "$work/run/" 2>/dev/null || true
    if [ "$slurm_started" = 1 ]; then "$anchor/stop.sh" >/dev/null 2>&1 || true; fi
    sleep 0.5
    rm -rf "$work"
}
trap cleanup EXIT

# A runtime folder of the run's own, so its schedctl server is this run's (and stopped with it).
mkdir -m 700 "$work/run"
export XDG_RUNTIME_DIR=$work/run
# The platform's cluster.yaml, with room for every job the loops submit.
cp cluster.yaml "$work/cluster.yaml"
printf '\nsecurity:\n  maxJobsPerUser: 1000000\n' >>"$work/cluster.yaml"
# A fresh controller over a fresh state, alone; RASPORED_CONTROLLER and RASPORED_TOKEN (admin) set.
start() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$work/state"
    "$schedulerd" --cluster "$work/cluster.yaml" --state "$work/state" --listen "127.0.0.1:$port" \
        --log-level error --init >"$work/schedulerd.log" 2>&1 &
    pid=$!
    export RASPORED_CONTROLLER=http://127.0.0.1:$port
    for _ in $(seq 100); do
        [ -s "$work/state/admin.token" ] && curl -sf "$RASPORED_CONTROLLER/healthz" >/dev/null && break
        sleep 0.1
    done
    export RASPORED_TOKEN=$(cat "$work/state/admin.token")
}
now() { date +%s%N; }
# ms per call of N runs of a command: the median of the runs' times.
ms_per_call() {
    local n=$1 t0 times=()
    shift
    for _ in $(seq "$n"); do
        t0=$(now)
        "$@" >/dev/null
        times+=($(($(now) - t0)))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1e6}'
}
rate() { awk -v n="$1" -v ns="$2" 'BEGIN {printf "%.0f", n / (ns / 1e9)}'; }

if [ "$slurm" = 1 ]; then
    export SLURM_CONF=${SLURM_BENCH_DIR:-/tmp/slurm-dgx-bench}/etc/slurm.conf
    command -v sbatch >/dev/null || "$anchor/setup.sh" >&2
    "$anchor/stop.sh" >/dev/null 2>&1 || true
    "$anchor/start.sh" >/dev/null
    slurm_started=1
fi

start
submit() { "${1:-$schedctl}" submit --gpus 1 --account ivi --parsable -- true >/dev/null; }
submit_alone() { RASPORED_SCHEDCTL_SERVER=off "$schedctl" submit --gpus 1 --account ivi --parsable -- true >/dev/null; }
sbatch_held() { sbatch --parsable -J bench-cli -n 1 --hold -o /dev/null --wrap=true >/dev/null; }
body='{"command":["true"],"account":"ivi","gpus":1,"workdir":"/tmp"}'
post() {
    curl -sf -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n' -X POST \
        -H "Authorization: Bearer $RASPORED_TOKEN" -H 'Content-Type: application/json' -d "$body" \
        "$RASPORED_CONTROLLER/v1/jobs"
}
# Warm the page cache and the controller before timing.
for _ in 1 2 3 4 5; do submit; done
[ "$slurm" = 1 ] && for _ in 1 2 3 4 5; do sbatch_held; done
ours=0 alone=0 theirs=0 base=0
for r in $(seq "$rounds"); do
    t0=$(now)
    for _ in $(seq "$per"); do submit; done
    ours=$((ours + $(now) - t0))
    t0=$(now)
    for _ in $(seq "$per"); do submit_alone; done
    alone=$((alone + $(now) - t0))
    if [ -n "${BASELINE:-}" ]; then
        t0=$(now)
        for _ in $(seq "$per"); do submit "$BASELINE"; done
        base=$((base + $(now) - t0))
    fi
    for _ in $(seq "$per"); do post; done >>"$work/post-times"
    if [ "$slurm" = 1 ]; then
        t0=$(now)
        for _ in $(seq "$per"); do sbatch_held; done
        theirs=$((theirs + $(now) - t0))
    fi
    echo "# round $r of $rounds done" >&2
done
total=$((per * rounds))
echo "schedctl_submit_per_s $(rate "$total" "$ours")"
echo "schedctl_submit_no_server_per_s $(rate "$total" "$alone")"
[ -n "${BASELINE:-}" ] && echo "baseline_submit_per_s $(rate "$total" "$base")"
echo "controller_post_ms $(awk '{print $2 - $1}' "$work/post-times" | sort -g |
    awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)] * 1000}')"
[ "$slurm" = 1 ] && echo "sbatch_held_per_s $(rate "$total" "$theirs")"

echo "schedctl_help_ms $(ms_per_call 50 "$schedctl" --help)"
[ -n "${BASELINE:-}" ] && echo "baseline_help_ms $(ms_per_call 50 "$BASELINE" --help)"
[ "$slurm" = 1 ] && echo "sbatch_help_ms $(ms_per_call 50 sbatch --help)"

# `queue` with 300 jobs: a fresh controller holding exactly 300 (Slurm: 300 held jobs).
start
for _ in $(seq 300); do post; done >/dev/null
echo "schedctl_queue_rows $("$schedctl" queue | wc -l)"
echo "schedctl_queue_300_ms $(ms_per_call 30 "$schedctl" queue)"
[ -n "${BASELINE:-}" ] && echo "baseline_queue_300_ms $(ms_per_call 30 "$BASELINE" queue)"
if [ "$slurm" = 1 ]; then
    scancel --quiet --name=bench-cli || true
    for _ in $(seq 100); do [ "$(squeue -h | wc -l)" = 0 ] && break; sleep 0.2; done
    for _ in $(seq 300); do sbatch_held; done
    echo "squeue_rows $(squeue | wc -l)"
    echo "squeue_300_ms $(ms_per_call 30 squeue)"
    scancel --quiet --name=bench-cli || true
fi
echo "schedulerd_peak_rss_mib $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$pid/status)"
