#!/usr/bin/env bash
# The one test command, for developers and CI alike (.ci/run runs exactly this).
#
# Usage: scripts/test.sh [swift test arguments...]
#   e.g. scripts/test.sh --filter Parser
#
# 1. installs missing Debian packages (scripts/install-deps.sh; needs root
#    the first time on a fresh machine),
# 2. starts the private PostgreSQL and Redis (scripts/services.sh start),
# 3. exports METERD_POSTGRES_URL / METERD_REDIS_URL and the same values as
#    METERD_TEST_POSTGRES_URL / METERD_TEST_REDIS_URL,
# 4. swift build --build-tests, then swift test "$@" (without arguments: the
#    end-to-end suites in a second run, see below).
# Servers this script started are stopped when it exits; servers that were
# already running are left running. The exit code is swift test's (or that
# of the first step that failed).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi

T0=$SECONDS
STEP_T0=$SECONDS
STEP_NAME=
TIMINGS=()

step() {
    step_end
    STEP_NAME=$1
    STEP_T0=$SECONDS
    printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$STEP_NAME"
}

step_end() {
    if [[ -n "$STEP_NAME" ]]; then
        TIMINGS+=("$(printf '%5ds  %s' $((SECONDS - STEP_T0)) "$STEP_NAME")")
        STEP_NAME=
    fi
}

# Stop only what this script started.
STOP_ON_EXIT=()
TEST_OUTPUT=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    step_end
    if ((${#STOP_ON_EXIT[@]} > 0)); then
        printf '\n==> [%s] stopping services started by this run: %s\n' "$(date -u +%H:%M:%S)" "${STOP_ON_EXIT[*]}"
        local svc
        for svc in "${STOP_ON_EXIT[@]}"; do
            scripts/services.sh stop "$svc" || rc=$((rc == 0 ? 1 : rc))
        done
    fi
    printf '\n==> timings\n'
    if ((${#TIMINGS[@]} > 0)); then
        printf '%s\n' "${TIMINGS[@]}"
    fi
    printf '%5ds  total, exit code %d\n' $((SECONDS - T0)) "$rc"
    if [[ -n "$TEST_OUTPUT" && -s "$TEST_OUTPUT" ]]; then
        printf '\n==> swift test closing lines (repeated from above)\n'
        grep -E '^[[:space:]]*Executed [0-9]+ tests?, with' "$TEST_OUTPUT" | tail -n 1 || true
        grep -E 'Test run with [0-9]+ tests?' "$TEST_OUTPUT" | awk '!seen[$0]++' || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "install dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh

step "start PostgreSQL and Redis (scripts/services.sh start)"
for svc in postgres redis; do
    if ! scripts/services.sh status "$svc" >/dev/null 2>&1; then
        STOP_ON_EXIT+=("$svc")
    fi
done
scripts/services.sh start
env_lines=$(scripts/services.sh env)
eval "$env_lines"
export METERD_TEST_POSTGRES_URL=$METERD_POSTGRES_URL
export METERD_TEST_REDIS_URL=$METERD_REDIS_URL
echo "METERD_POSTGRES_URL=$METERD_POSTGRES_URL"
echo "METERD_REDIS_URL=$METERD_REDIS_URL"

step "swift build --build-tests"
swift build --build-tests

# Without arguments, two runs: first every suite but the end-to-end ones, then the end-to-end
# suites. The end-to-end tests drive the meterd binary and block their thread while they wait
# for it; in one run they can occupy every thread of Swift's cooperative pool (as many as
# cores: 2 here) and starve the async tests that measure the aggregation loop or wait for
# alert deliveries, which then fail on time limits they meet alone.
test_rc=0
mkdir -p .build
TEST_OUTPUT=.build/test-output.log
: >"$TEST_OUTPUT"
run_tests() {
    step "swift test $*"
    set +e
    if [[ -t 1 ]]; then
        swift test "$@"
        rc=$?
    else
        # Not a terminal (CI): keep a copy so the runner's closing lines can be
        # repeated last, after the shutdown and timing lines.
        swift test "$@" 2>&1 | tee -a "$TEST_OUTPUT"
        rc=${PIPESTATUS[0]}
    fi
    set -e
    if [[ $test_rc == 0 ]]; then test_rc=$rc; fi
}
if [[ $# -gt 0 ]]; then
    run_tests "$@"
else
    run_tests --skip MeterdEndToEndTests
    run_tests --filter MeterdEndToEndTests
fi
exit "$test_rc"
