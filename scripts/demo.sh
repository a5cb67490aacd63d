#!/usr/bin/env bash
# The platform as far as it exists: reads cluster.yaml, places a realistic list of jobs with the
# topology-aware policy, and compares the same list under the baseline policies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --product schedctl >&2
swift build --product schedagent >&2
schedctl=.build/debug/schedctl
schedagent=.build/debug/schedagent

echo "== The platform (schedctl cluster show) =="
$schedctl cluster show
echo
echo "== examples/jobs.yaml placed with the topology-aware packing policy (schedctl place) =="
$schedctl place --jobs examples/jobs.yaml
echo
echo "== examples/small-then-large.yaml under each policy (schedctl place --policy) =="
for policy in pack best-fit first-fit spread; do
    out=$($schedctl place --jobs examples/small-then-large.yaml --policy "$policy")
    contained=$(echo "$out" | grep -cE '^large[0-9]+ +numa-contained' || true)
    split=$(echo "$out" | grep -c 'numa-spanning' || true)
    printf '%-10s 4-GPU jobs on one socket: %s of 3; jobs split across sockets: %s; %s\n' \
        "$policy" "$contained" "$split" "$(echo "$out" | grep Fragmentation)"
done
echo
echo "== A node agent standing in for dgx03: discovery from the DGX H200 topology, checked against cluster.yaml =="
$schedagent discover --topology Tests/Fixtures/hwloc/dgx-h200.xml --check cluster.yaml --node dgx03
echo
echo "== A job run by the agent on this machine, bound to GPUs 0,1 and core 0 (schedagent run-local) =="
out=$(mktemp -d)
$schedagent run-local --gpus 0,1 --cores 0 --state-dir "$out/state" --output "$out/job-%j.out" --job-id demo1 -- \
    sh -c 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES OMP_NUM_THREADS=$OMP_NUM_THREADS"; grep -E "Cpus_allowed_list|Mems_allowed_list" /proc/self/status'
cat "$out/job-demo1.out"
rm -rf "$out"
