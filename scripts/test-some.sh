#!/usr/bin/env bash
# A quick developer loop: builds one build directory (default `build`,
# RelWithDebInfo; MZ_SANITIZE=1 → `build-asan` with ASan+UBSan;
# MZ_TSAN=1 → `build-tsan` with ThreadSanitizer), starts a
# throwaway PostgreSQL and runs the ctest programs whose names match the
# given regular expression (all when none is given). The full test command
# is scripts/test.sh; this one is for iterating on a few tests.
#   scripts/test-some.sh 'test_sync|test_push'
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
if [ "${MZ_TSAN:-0}" = 1 ]; then
  B=${MZ_BUILD_DIR:-build-tsan}
  cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DMZ_TSAN=ON >/dev/null
elif [ "${MZ_SANITIZE:-0}" = 1 ]; then
  B=${MZ_BUILD_DIR:-build-asan}
  cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DMZ_SANITIZE=ON >/dev/null
else
  B=${MZ_BUILD_DIR:-build}
  cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$B" -j"$JOBS" >/dev/null
# test_signin starts the local OpenID provider: its npm packages first
# (npm ci, skipped when node_modules matches the lockfile).
scripts/oidc-op.sh --install-only
. scripts/lib/pg.sh
PGTMP=$(mktemp -d /tmp/mz-some-pg.XXXXXX)
chmod 755 "$PGTMP"
cleanup() { pg_cluster_stop "$PGTMP/data"; rm -rf "$PGTMP"; }
trap cleanup EXIT
pg_cluster_start "$PGTMP/data" "$PGTMP/sock" -c fsync=off -c full_page_writes=off
export MZ_TEST_DATABASE_URL="host=$PGTMP/sock user=postgres dbname=postgres"
export MZ_TEST_TMPDIR="$PGTMP/logs"
mkdir -p "$MZ_TEST_TMPDIR"
export MZ_TEST_PGDATA="$PGTMP/data"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
  ctest --test-dir "$B" --output-on-failure -j"$JOBS" ${1:+-R "$1"}
