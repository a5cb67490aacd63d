#!/usr/bin/env bash
# Checks the message of every commit made since the commit-msg check was added (.githooks/commit-msg),
# as the hook checks a new one; earlier history stays as it was written. CI runs it; a clone without that
# history (shallow) checks what it has.
set -euo pipefail
cd "$(dirname "$0")/.."
.githooks/commit-msg --self-test
since=$(git log --diff-filter=A --format=%H -- .githooks/commit-msg | tail -1)
range=${since:+$since^..}HEAD
git rev-parse -q --verify "${since:-HEAD}^" >/dev/null || range=HEAD
message=$(mktemp)
trap 'rm -f "$message"' EXIT
bad=0 count=0
for c in $(git rev-list --no-merges "$range"); do
    count=$((count + 1))
    git log -1 --format=%B "$c" >"$message"
    if ! .githooks/commit-msg "$message" 2>/dev/null; then
        echo "commit $(git log -1 --format='%h %s' "$c"):" >&2
        .githooks/commit-msg "$message" 2>&1 | grep -v "message kept in" | sed 's/^/  /' >&2 || true
        bad=$((bad + 1))
    fi
done
echo "commit messages: $count checked, $bad with problems" >&2
[ "$bad" -eq 0 ]
