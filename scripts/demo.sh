#!/usr/bin/env bash
# The platform as far as it exists: reads cluster.yaml, places a realistic list of jobs with the
# topology-aware policy, and compares the same list under the baseline policies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --product schedctl >&2
schedctl=.build/debug/schedctl

echo "== The platform (schedctl cluster show) =="
$schedctl cluster show
echo
echo "== examples/jobs.yaml placed with the topology-aware packing policy (schedctl place) =="
$schedctl place --jobs examples/jobs.yaml
echo
echo "== The same jobs under each policy: what still fits afterwards =="
for policy in pack best-fit first-fit spread; do
    $schedctl place --jobs examples/jobs.yaml --policy "$policy" | tail -3 | tr '\n' ' ' | sed "s/^/$policy: /"
    echo
done
