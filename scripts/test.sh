#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test, then fails if the tests left
# anything behind (scripts/leftovers.sh: processes, cgroups, test accounts, temporary files).
#
# Two runs, one after the other: the targets of computation (the engine, the simulator, schedctl, whose
# tests keep a thread busy for seconds) and the targets of services (agent, controller, cluster, whose
# tests wait on processes and HTTP within time limits). In one process the first kind can hold every
# thread of Swift's cooperative pool while the second kind's timeouts run out.
# With arguments (e.g. --filter QueuePolicyTests), one run with them.
#
# Each run of this script marks what its tests make: RASPORED_TEST_RUN names their cgroups and is in the
# environment of every process they start, and TMPDIR (a directory of the run's own) holds their files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --build-tests

run="$(date +%s)-$$"
tmp="$(mktemp -d "/tmp/raspored-test-run-$run.XXXXXX")"
chmod 1777 "$tmp" # jobs of the identity tests run as test accounts, in directories made here
users="$tmp.users"
scripts/leftovers.sh users >"$users"
tests() { RASPORED_TEST_RUN="$run" TMPDIR="$tmp" swift test --skip-build "$@"; }

status=0
if [ "$#" -gt 0 ]; then
    tests "$@" || status=$?
else
    services='^(AgentTests|ControllerTests|ClusterTests)\.'
    tests --skip "$services" || status=$?
    tests --filter "$services" || status=$?
fi

if ! scripts/leftovers.sh check "$run" "$tmp" "$users"; then
    echo "test.sh: the tests left the above behind" >&2
    status=1
fi
rm -rf "$tmp" "$users"
exit "$status"
