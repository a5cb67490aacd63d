#!/usr/bin/env bash
# Reads swift-testing's output on standard input and prints each test that started and did not end
# (passed or failed), one a line: what was running when a run was cut short. (Test functions' names end in
# their parameters, "name()": the run's own "Test run started." is not one.)
set -euo pipefail
awk '
    /^◇ Test [^ ]+\(.*\) started\.$/ { name = $3; if (!(name in ended)) running[name] = 1 }
    /^(✔|✘) Test [^ ]+ .*(passed|failed) after / { ended[$3] = 1; delete running[$3] }
    END { for (name in running) print "  " name }
' | sort
