#!/usr/bin/env bash
# The test command: installs what is missing, checks the C formatting, builds
# normal, ASan+UBSan and ThreadSanitizer builds, starts a throwaway
# PostgreSQL, runs every test through ctest in all three builds, runs the
# portal's tests in a real browser, fuzzes every parser, scans the whole
# suite's service logs for personal data (and the TSan run's for race
# reports), and lints the OpenAPI document. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc 2>/dev/null || echo 2)

scripts/deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMZ_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DMZ_TSAN=ON >/dev/null
cmake --build build-tsan -j"$JOBS"
# The Release build (what scripts/run.sh and the Docker image build): gcc -O3
# warns about things -O2 does not see (format truncation), and -Werror makes
# that a broken run command, so it is built here too (not tested again).
echo "== Release build (as scripts/run.sh and the Dockerfile build it)"
release=0
if ! { cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null &&
       cmake --build build-release -j"$JOBS" >/tmp/mz-release-build.log 2>&1; }; then
  grep -E "error|warning" /tmp/mz-release-build.log | head -20
  echo "Release build failed"; release=1
fi

. scripts/lib/pg.sh
PGTMP=$(mktemp -d /tmp/mz-test-pg.XXXXXX)
chmod 755 "$PGTMP"
cleanup() { pg_cluster_stop "$PGTMP/data"; rm -rf "$PGTMP"; }
trap cleanup EXIT
pg_cluster_start "$PGTMP/data" "$PGTMP/sock" -c fsync=off -c full_page_writes=off
export MZ_TEST_DATABASE_URL="host=$PGTMP/sock user=postgres dbname=postgres"
# Every test's logs land here, so one scan can cover the whole suite's logs.
export MZ_TEST_TMPDIR="$PGTMP/logs"
mkdir -p "$MZ_TEST_TMPDIR"
export MZ_TEST_PGDATA="$PGTMP/data"

# The sign-in integration tests (test_signin) start the local OpenID
# provider (tests/oidc-op, Node.js): its npm packages must be there first.
scripts/oidc-op.sh --install-only

status=0
LOG=$(mktemp /tmp/mz-ctest.XXXXXX)
echo "== ctest (normal build)"
ctest --test-dir build --output-on-failure -j"$JOBS" 2>&1 | tee "$LOG" || status=1
echo "== ctest (ASan+UBSan build)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" 2>&1 | tee -a "$LOG" || status=1
echo "== ctest (ThreadSanitizer build)"
# The services the integration tests start write their TSan reports into
# their logs (not the test's output), so those logs are scanned too.
tsan=0
TSAN_LOGS="$PGTMP/logs-tsan"
mkdir -p "$TSAN_LOGS"
MZ_TEST_TMPDIR="$TSAN_LOGS" TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  ctest --test-dir build-tsan --output-on-failure -j"$JOBS" 2>&1 | tee -a "$LOG" || status=1
if grep -rl "WARNING: ThreadSanitizer" "$TSAN_LOGS" >/dev/null 2>&1; then
  echo "ThreadSanitizer reports in: $(grep -rl 'WARNING: ThreadSanitizer' "$TSAN_LOGS" | tr '\n' ' ')"
  grep -rh -A30 "WARNING: ThreadSanitizer" "$TSAN_LOGS" | head -120
  status=1; tsan=1
fi
echo "== clang-format"
format=0
scripts/check-format.sh || { status=1; format=1; }
echo "== Portal in a real browser (Chromium, Playwright, axe-core)"
browser=0
MZ_BUILD_DIR=build scripts/browser-test.sh || { status=1; browser=1; }
echo "== Local OpenID provider (oidc-provider: code flow, logout, key rotation)"
oidcop=0
scripts/oidc-op-test.sh || { status=1; oidcop=1; }
echo "== Fuzzing every parser (libFuzzer, ${MZ_FUZZ_SECONDS:-20} s per target)"
fuzz=0
scripts/fuzz.sh || { status=1; fuzz=1; }
echo "== Personal data in the suite's logs"
leak=0
scripts/check-logs.sh "$MZ_TEST_TMPDIR" || { status=1; leak=1; }
scripts/check-logs.sh "$TSAN_LOGS" || { status=1; leak=1; }
echo "== OpenAPI lint (NL API Design Rules)"
lint=0
scripts/lint-openapi.sh || { status=1; lint=1; }

# One closing line for the three ctest runs and the other stages.
total=$(grep -Eo 'failed out of [0-9]+' "$LOG" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ tests failed out of' "$LOG" | awk '{s+=$1} END {print s+0}')
rm -f "$LOG"
[ "$release" -eq 0 ] || status=1
runs=$(( total + 8 )); bad=$(( failed + lint + leak + browser + oidcop + fuzz + tsan + format + release ))
[ "$total" -gt 0 ] || { echo "no tests ran"; status=1; }
echo "summary: $(( runs - bad )) passed, $bad failed"
exit $status
