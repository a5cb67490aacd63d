#!/usr/bin/env bash
# What a run of the tests left behind, found by the marks the tests put on what they make.
#
#   scripts/leftovers.sh users                       the test accounts there are now (before a run)
#   scripts/leftovers.sh check RUN TMP USERS_BEFORE  prints what run RUN left, exits 1 if anything
#
# RUN is the run's RASPORED_TEST_RUN and TMP its TMPDIR (scripts/test.sh sets both for `swift test`):
#   processes  any whose environment holds RASPORED_TEST_RUN=RUN (agents, controllers, tools: they inherit
#              it), or whose working directory or command line is in TMP (jobs, which get an environment of
#              their own, run in their cluster's or test's directory there);
#   cgroups    any named raspored-test-RUN-* (LocalCluster, ConfinementTests: TestRun.cgroupName), with
#              the processes still in them;
#   accounts   test accounts and groups (TestUsers: rspt*, "raspored test user PID") made since
#              USERS_BEFORE whose test process is gone;
#   files      anything left in TMP (but SwiftPM's own: TemporaryDirectory.*, *.lock).
# Processes of another run at the same time carry another RUN and another TMP, and are not counted.
set -euo pipefail

test_users() {
    # name PID, for accounts and groups of TestUsers.
    awk -F: '$1 ~ /^rspt/ && $5 ~ /^raspored test user / { n = split($5, f, " "); print $1, f[n] }' /etc/passwd
    awk -F: '$1 ~ /^rsptg[0-9]+x/ { pid = $1; sub(/^rsptg/, "", pid); sub(/x.*/, "", pid); print $1, pid }' /etc/group
}

case "${1:-}" in
users)
    test_users | sort
    exit 0
    ;;
check) ;;
*)
    echo "usage: $0 users | check RUN TMP USERS_BEFORE" >&2
    exit 2
    ;;
esac

run=$2 tmp=$3 before=$4
found=0
report() {
    found=1
    echo "leftover: $*" >&2
}

for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = $$ ] && continue
    state=$(awk '{ sub(/.*\) /, ""); print substr($0, 1, 1) }' "$p/stat" 2>/dev/null) || continue
    [ "$state" = Z ] && continue
    cwd=$(readlink "$p/cwd" 2>/dev/null) || cwd=
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || cmd=
    if { tr '\0' '\n' 2>/dev/null <"$p/environ" || true; } | grep -qxF "RASPORED_TEST_RUN=$run" ||
        [[ "$cwd" == "$tmp" || "$cwd" == "$tmp/"* || "$cmd" == *"$tmp"* ]]; then
        report "process $pid ($cmd) in ${cwd:-?}"
    fi
done

while IFS= read -r -d '' d; do
    report "cgroup $d (processes: $(tr '\n' ' ' 2>/dev/null <"$d/cgroup.procs"))"
done < <(find /sys/fs/cgroup -maxdepth 8 -type d -name "raspored-test-$run-*" -print0 2>/dev/null)

while read -r name pid; do
    [ -d "/proc/$pid" ] && continue
    grep -qxF "$name $pid" "$before" || report "test account or group $name (of test process $pid)"
done < <(test_users)

# SwiftPM (swift test) keeps its own lock files and TemporaryDirectory.* in TMPDIR too: not the tests'.
if [ -d "$tmp" ]; then
    while IFS= read -r -d '' f; do report "file $f"; done < <(find "$tmp" -mindepth 1 -maxdepth 1 \
        ! -name 'TemporaryDirectory.*' ! -name '*.lock' -print0)
fi

exit "$found"
