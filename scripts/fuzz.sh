#!/usr/bin/env bash
# The fuzzers of everything a client sends, for a bounded time (issue 28):
#  1. libFuzzer, coverage-guided, over the readers of request bodies and of the text forms inside them
#     (Fuzz/Sources/FuzzRequests), each accepted job request placed by the engine on the platform's cluster;
#  2. schemathesis over a real controller, from docs/openapi.yaml (scripts/fuzz-api.sh).
# Fails on any crash, 5xx or answer that does not match the document; a libFuzzer crash leaves its input in
# Fuzz/findings/ and prints the command that replays it. Every finding becomes a test.
#
#   scripts/fuzz.sh            (FUZZ_SECONDS per fuzzer, default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${FUZZ_SECONDS:-60}

scripts/deps.sh
echo "== building the libFuzzer target (release, -sanitize=fuzzer) ==" >&2
# lld: gold fails on the fuzzer runtime's objects.
(cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld >&2)
fuzzer=$root/Fuzz/.build/release/FuzzRequests

# The committed seeds stay as they are: the run grows a corpus of its own in a temporary directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/raspored-libfuzzer.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" Fuzz/findings
cp Fuzz/corpus/requests/* "$work/corpus/"
echo "== libFuzzer: FuzzRequests for ${seconds}s ==" >&2
status=0
"$fuzzer" "$work/corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$root/Fuzz/findings/" -print_final_stats=1 2>"$work/log" || status=$?
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "$work/log" | tail -3 >&2
if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/log" >&2
    echo "fuzz: libFuzzer found a crash; replay it with: $fuzzer Fuzz/findings/<file>" >&2
    exit 1
fi
rmdir Fuzz/findings 2>/dev/null || true

echo "== schemathesis against a real controller ==" >&2
swift build --product schedulerd >&2
FUZZ_SECONDS=${FUZZ_API_SECONDS:-120} scripts/fuzz-api.sh
