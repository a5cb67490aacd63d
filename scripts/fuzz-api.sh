#!/usr/bin/env bash
# Fuzzes a real controller from its API description (docs/openapi.yaml) with schemathesis, for a bounded
# time: schedulerd from an already built binary, on a free loopback port, with a fresh state directory, the
# demo cluster (cluster.yaml) and --without-agents; schemathesis as the first admin. Fails when a request
# got a 5xx, an answer does not match the document, or the controller died. Every crash it finds becomes a
# test (issue 28).
#
#   swift build --product schedulerd && scripts/fuzz-api.sh
#
# Environment:
#   SCHEDULERD          the binary (default .build/debug/schedulerd)
#   FUZZ_SECONDS        schemathesis's time budget (default 120); the whole run is cut off 60 s after it
#   FUZZ_MAX_EXAMPLES   test cases per operation and phase (default 25)
#   FUZZ_CHECKS         schemathesis checks (default: no 5xx, and every answer's status, content type,
#                       headers and body as the document says; `all` adds checks of the document's strictness)
#   FUZZ_WORKERS        concurrent requests (default 1: hypothesis is not always thread-safe on Python 3.11)
#   FUZZ_SEED           a seed, to repeat a run
#   FUZZ_SPEC           the API description (default docs/openapi.yaml)
#   FUZZ_REPORT_DIR     keep schemathesis's reports (junit, ndjson) and the controller's log here
#   ST                  the schemathesis CLI (default: `st` on PATH, else installed from PyPI into a venv)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

schedulerd=${SCHEDULERD:-$root/.build/debug/schedulerd}
seconds=${FUZZ_SECONDS:-120}
examples=${FUZZ_MAX_EXAMPLES:-25}
conformance=status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
checks=${FUZZ_CHECKS:-not_a_server_error,$conformance}
workers=${FUZZ_WORKERS:-1}
spec=${FUZZ_SPEC:-$root/docs/openapi.yaml}

if [ ! -x "$schedulerd" ]; then
    echo "fuzz-api: no controller binary at $schedulerd (swift build --product schedulerd, or set SCHEDULERD)" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/raspored-fuzz.XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# schemathesis: the one on PATH, or a venv of its own under the temporary directory.
st=${ST:-}
if [ -z "$st" ]; then
    if command -v st >/dev/null 2>&1; then
        st=$(command -v st)
    else
        echo "== installing schemathesis (PyPI) into a temporary venv ==" >&2
        python3 -m venv "$tmp/venv"
        "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check schemathesis >&2
        st=$tmp/venv/bin/st
    fi
fi
echo "== $("$st" --version) ==" >&2

# A free loopback port (the kernel's choice; released before the controller binds it).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
state=$tmp/state
log=$tmp/schedulerd.log
args=(--cluster "$root/cluster.yaml" --state "$state" --listen "127.0.0.1:$port" --without-agents --log-level notice)
# A new state directory may have to be asked for. (The help is read whole first: `grep -q` in a pipe stops
# reading at its match, and under pipefail schedulerd's SIGPIPE on its next write would count as no match.)
help=$("$schedulerd" --help 2>&1 || true)
if grep -q -- '--init' <<<"$help"; then args+=(--init); fi

echo "== controller: $schedulerd on 127.0.0.1:$port ==" >&2
"$schedulerd" "${args[@]}" >"$log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -s "$state/admin.token" ]; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "fuzz-api: the controller did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
token=$(tr -d '[:space:]' <"$state/admin.token")
[ -n "$token" ] || { echo "fuzz-api: no admin token in $state/admin.token" >&2; exit 1; }

st_args=(
    run "$spec"
    --url "http://127.0.0.1:$port"
    --header "Authorization: Bearer $token"
    --checks "$checks"
    --max-examples "$examples"
    --workers "$workers"
    --request-timeout 75
    --generation-database none
    --no-color
)
# schemathesis 4 takes a time budget of its own; older ones stop at --max-examples.
st_help=$("$st" run --help 2>/dev/null || true)
if grep -q -- '--max-time' <<<"$st_help"; then st_args+=(--max-time "$seconds"); fi
if [ -n "${FUZZ_SEED:-}" ]; then st_args+=(--seed "$FUZZ_SEED"); fi
if [ -n "${FUZZ_REPORT_DIR:-}" ]; then
    mkdir -p "$FUZZ_REPORT_DIR"
    st_args+=(--report junit,ndjson --report-dir "$FUZZ_REPORT_DIR")
fi

echo "== schemathesis: $checks, at most $examples examples per operation, ${seconds}s ==" >&2
# From the temporary directory, so nothing it writes lands in the checkout.
status=0
(cd "$tmp" && timeout --signal=INT --kill-after=10 "$((seconds + 60))" "$st" "${st_args[@]}") || status=$?

alive=yes
kill -0 "$pid" 2>/dev/null || alive=no
if [ -n "${FUZZ_REPORT_DIR:-}" ]; then cp "$log" "$FUZZ_REPORT_DIR/schedulerd.log"; fi

failed=0
crash='Fatal error|Swift runtime failure|Program crashed|Illegal instruction|Segmentation fault'
if [ "$alive" = no ]; then
    wait "$pid" && code=0 || code=$?
    pid=
    echo "fuzz-api: the controller died during the run (exit status $code):" >&2
    grep -nE -A12 "$crash" "$log" >&2 || tail -n 40 "$log" >&2
    failed=1
elif grep -qE "$crash" "$log"; then
    echo "fuzz-api: the controller's log shows a crash:" >&2
    grep -nE -B5 -A5 "$crash" "$log" >&2
    failed=1
fi
case $status in
    0) ;;
    124 | 130) echo "fuzz-api: schemathesis did not finish within $((seconds + 60))s; stopped" >&2 ;;
    *)
        echo "fuzz-api: schemathesis reported failures (exit status $status)" >&2
        failed=1
        ;;
esac
if [ "$failed" = 0 ]; then echo "fuzz-api: no server errors, crashes or schema mismatches found" >&2; fi
exit "$failed"
