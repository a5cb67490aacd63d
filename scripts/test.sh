#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test, then fails if the tests left
# anything behind (scripts/leftovers.sh: processes, cgroups, test accounts, temporary files).
#
# Runs, one after the other: the targets of computation (SchedulerTests, SchedctlTests) and the
# targets of services (AgentTests, ControllerTests, ClusterTests). Why not one:
#   swift-testing calls a synchronous @Test function on Swift's cooperative pool, which has one thread per
#   core (two on a 2-core machine), and runs every suite in parallel. The computation targets' tests are
#   synchronous and hold their thread for seconds: SchedulerTests computes (QueuePolicyTests'
#   deferredPlansDecideExactlyAsPlansWorkedOutWhenMade 10.7 s, FragmentationTests'
#   decisionWorkDoesNotGrowWithTheCluster 6.6 s, a dozen more over a second, each alone), and SchedctlTests'
#   129 tests block in Process.waitUntilExit and usleep while schedctl and schedulerd run (about 1 s each).
#   The service tests are async: each answer they await (HTTP, a process, a Task.sleep poll) needs a pool
#   thread to resume on, and their deadlines are wall-clock time.
#   Measured on 2 cores: one `swift test --skip-build` (604 tests) took 91 s and failed: AgentTests'
#   withNoWordForTheLeaseTheRunIsStoppedNothingIsLaunchedAndItIsReportedOnReturn ran 74 s and its
#   `eventuallyAsync(within: 20)` ran out, and in-process API tests of milliseconds took 50-59 s each,
#   waiting for a thread. The two runs here: 319 tests in 51 s, then 285 in 61 s, every one passed.
#   .serialized does not help (it orders tests within a suite; one such test still holds half the pool);
#   the fix would be to move the work of some 150 computation tests off the pool.
# A third run holds FidelityClusterTests alone: it compares the controller's starts with a replay's to the
# half second and its placements job by job, so a live start delayed by other suites' work changes which
# GPUs later jobs get. Run beside the interactive tests (pty sessions streaming some 500,000 lines) it
# missed its 95 % bar in one full run of three on an idle 2-core machine: a job submitted at 1.029 s
# started at 1.073 s, and the replay, which started it at once, put three later jobs on the other half of a
# node. Alone it measures the scheduler, not the machine's other load.
# With arguments (e.g. --filter QueuePolicyTests), one run with them.
#
# Each run of this script marks what its tests make: RASPORED_TEST_RUN names their cgroups and is in the
# environment of every process they start, and TMPDIR (a directory of the run's own) holds their files.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI runs with no standard input (descriptor 0 closed). A test process would then get the first file or
# socket it opens as descriptor 0, and every child it starts without an input of its own would read that
# (a schedctl step forwards its input: it would drain the test process's own descriptor). Nothing here
# reads a terminal: the input is empty.
exec </dev/null
scripts/deps.sh
swift build --build-tests

run="$(date +%s)-$$"
tmp="$(mktemp -d "/tmp/raspored-test-run-$run.XXXXXX")"
chmod 1777 "$tmp" # jobs of the identity tests run as test accounts, in directories made here
users="$tmp.users"
scripts/leftovers.sh users >"$users"
# Each `swift test` has at most TEST_RUN_LIMIT seconds (15 min; a run here takes 1-4 min): past it, it is
# killed and the tests it had started and not ended are named, so a test that hangs fails the suite with
# its name instead of holding CI until CI's own limit. Its output is line-buffered (stdbuf: written to a
# file, it would otherwise be held in blocks and lost with the kill) and goes to a file that is followed
# live, not to a pipe, so a process a test left holding the output cannot keep this script waiting.
limit=${TEST_RUN_LIMIT:-900}
tests() {
    local log="$tmp.log" status=0
    : >"$log"
    RASPORED_TEST_RUN="$run" TMPDIR="$tmp" timeout -k 30 "$limit" stdbuf -oL -eL \
        swift test --skip-build "$@" >"$log" 2>&1 &
    local pid=$!
    tail -n +1 -f --pid="$pid" "$log"
    wait "$pid" || status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "test.sh: swift test $* ran past ${limit} s and was killed; started and not ended:" >&2
        scripts/unfinished-tests.sh <"$log" >&2
        kill_run
    fi
    return "$status"
}
# Kills every process of this run (they carry its mark): swift test starts the test process in a process
# group of its own, which the timeout's signal does not reach. What outlives them is reported below.
kill_run() {
    local e p
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}
        p=${p%/environ}
        if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qxF "RASPORED_TEST_RUN=$run"; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}

status=0
if [ "$#" -gt 0 ]; then
    tests "$@" || status=$?
else
    services='^(AgentTests|ControllerTests|ClusterTests)\.'
    fidelity='^ClusterTests\.FidelityClusterTests'
    tests --skip "$services" || status=$?
    tests --filter "$services" --skip "$fidelity" || status=$?
    tests --filter "$fidelity" || status=$?
fi

if ! scripts/leftovers.sh check "$run" "$tmp" "$users"; then
    echo "test.sh: the tests left the above behind" >&2
    status=1
fi
rm -rf "$tmp" "$users" "$tmp.log"
exit "$status"
