#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every test.
#
# Two runs, one after the other: the targets of computation (the engine, the simulator, schedctl, whose
# tests keep a thread busy for seconds) and the targets of services (agent, controller, cluster, whose
# tests wait on processes and HTTP within time limits). In one process the first kind can hold every
# thread of Swift's cooperative pool while the second kind's timeouts run out.
# With arguments (e.g. --filter QueuePolicyTests), one run with them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift build --build-tests
if [ "$#" -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
services='^(AgentTests|ControllerTests|ClusterTests)\.'
swift test --skip-build --skip "$services"
swift test --skip-build --filter "$services"
