#!/usr/bin/env bash
# Measures the controller under one user's heavy load (issue 28), from release builds, with the controller
# alone (--without-agents: placed jobs hold their GPUs, nothing launches, so the queue stays as built):
#  - one 10,000-task array: how long it takes to be accepted, and how long other requests (GET /v1/nodes,
#    one after another) wait meanwhile;
#  - with 20,000 jobs pending: the mean full scheduling pass (from the controller's own histogram, over
#    passes made by resuming a drained node), and `schedctl queue` end to end (best and median of 5).
#
#   scripts/bench-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps.sh
# SCRATCH: another build folder (such as .build-release), to keep a debug build's folder free meanwhile.
scratch=${SCRATCH:-.build}
# The engine built for Haswell's instruction set, as this script's figures have been (Package.swift;
# RASPORED_TARGET_CPU= empty for the compiler's default CPU).
export RASPORED_TARGET_CPU=${RASPORED_TARGET_CPU-haswell}
for p in schedulerd schedctl raspored-bench; do swift build -c release --scratch-path "$scratch" --product "$p" >&2; done
bin=$root/$scratch/release
work=$(mktemp -d /tmp/raspored-bench-load.XXXXXX)
port=$((20000 + RANDOM % 10000))
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; sleep 0.5; rm -rf "$work"; }
trap cleanup EXIT

# The platform's cluster.yaml, with room for one user's 20,000 pending jobs and six busy nodes.
cp cluster.yaml "$work/cluster.yaml"
printf '\nsecurity:\n  maxJobsPerUser: 100000\n' >>"$work/cluster.yaml"
init=()
# The help is read whole first: under pipefail, `grep -q` leaving early would fail the pipe (SIGPIPE).
help=$("$bin/schedulerd" --help 2>&1 || true)
if grep -q -- '--init' <<<"$help"; then init=(--init); fi
"$bin/schedulerd" --cluster "$work/cluster.yaml" --state "$work/state" --listen "127.0.0.1:$port" \
    --without-agents --log-level error "${init[@]}" >"$work/schedulerd.log" 2>&1 &
pid=$!
export RASPORED_CONTROLLER=http://127.0.0.1:$port
for _ in $(seq 100); do [ -s "$work/state/admin.token" ] && curl -sf "$RASPORED_CONTROLLER/healthz" >/dev/null && break; sleep 0.1; done
export RASPORED_TOKEN=$(cat "$work/state/admin.token")
bench() { "$bin/raspored-bench" "$RASPORED_CONTROLLER" "$RASPORED_TOKEN" "$@"; }

echo "# one 10,000-task array on an idle controller (48 tasks start, the rest pend)"
bench array 10000
echo "# filled to 20,000 pending"
bench fill 10048
echo "# full passes with 20,000 pending"
bench passes 20
echo "# schedctl queue with 20,000 pending (5 runs)"
times=()
for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$bin/schedctl" queue >/dev/null
    times+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "queue_rows $("$bin/schedctl" queue | wc -l)"
echo "queue_best_ms ${sorted[0]}"
echo "queue_median_ms ${sorted[2]}"
echo "schedulerd_peak_rss_mib $(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$pid/status)"
