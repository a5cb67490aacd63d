#!/usr/bin/env bash
# Measures the running platform the way ../shared/anchors/slurm/bench.sh measures Slurm 22.05 on this
# machine: submissions accepted (durable) per second from one loop and from four concurrent loops, and
# the time from a burst of 2,000 one-GPU jobs (`true`) to all started and all completed. The controller
# and six agents standing in for the DGX H200s run as in the demo, from release builds.
#
#   scripts/bench-controller.sh [JOBS]     (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${1:-2000}
scripts/deps.sh
# The engine built for Haswell's instruction set, as this script's figures have been (Package.swift;
# RASPORED_TARGET_CPU= empty for the compiler's default CPU).
export RASPORED_TARGET_CPU=${RASPORED_TARGET_CPU-haswell}
for p in schedulerd schedagent schedctl raspored-bench; do swift build -c release --product "$p" >&2; done
bin=$root/.build/release
work=$(mktemp -d /tmp/raspored-bench.XXXXXX)
port=$((20000 + RANDOM % 20000))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; pkill -f "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# `start held`: the controller alone, no agent registered, so jobs are accepted and wait (Slurm's `held` runs).
start() {
    rm -rf "$work/state" "$work/agents"
    "$bin/schedulerd" --cluster cluster.yaml --state "$work/state" --listen "127.0.0.1:$port" --log-level error --init \
        >"$work/schedulerd.log" 2>&1 &
    pids+=($!)
    export RASPORED_CONTROLLER=http://127.0.0.1:$port
    for _ in $(seq 100); do [ -s "$work/state/admin.token" ] && curl -sf "$RASPORED_CONTROLLER/healthz" >/dev/null && break; sleep 0.1; done
    export RASPORED_TOKEN=$(cat "$work/state/admin.token")
    [ "${1:-}" = held ] && return
    for n in 1 2 3 4 5 6; do
        "$bin/schedctl" token create --user "agent-dgx0$n" --agent "dgx0$n" --quiet >"$work/dgx0$n.token"
        "$bin/schedagent" run --controller "$RASPORED_CONTROLLER" --node "dgx0$n" \
            --topology Tests/Fixtures/hwloc/dgx-h200.xml --token-file "$work/dgx0$n.token" \
            --state-dir "$work/agents/dgx0$n" --log-level error >"$work/dgx0$n.log" 2>&1 &
        pids+=($!)
    done
    for _ in $(seq 200); do
        [ "$(curl -s "$RASPORED_CONTROLLER/metrics" | grep -c 'raspored_node_up{.*state="up".* 1')" -ge 6 ] && break
        sleep 0.1
    done
}
stopall() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

for loops in 1 4 16; do
    echo "# held: submissions, $loops loop(s), $jobs jobs (no agent: accepted, not launched)"
    start held; "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" submit "$loops" "$jobs"; stopall
done
echo "# submissions, 1 loop, $jobs jobs (cluster running them meanwhile)"
start; "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" submit 1 "$jobs"; stopall
echo "# submissions, 4 loops, $jobs jobs"
start; "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" submit 4 "$jobs"; stopall
echo "# submissions, 16 loops, $jobs jobs"
start; "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" submit 16 "$jobs"; stopall
echo "# burst of $jobs one-GPU jobs from 4 loops: time to all started / completed"
start; "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" burst "$jobs" 1
pid=$(pgrep -f "schedulerd --cluster cluster.yaml --state $work/state" | head -1)
echo "schedulerd_peak_rss_mib $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$pid/status)"
echo "schedulerd_cpu_seconds $(awk '{printf "%.1f", ($14+$15)/100}' /proc/$pid/stat)"
stopall
