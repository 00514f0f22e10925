#!/usr/bin/env bash
# Tests of the local OpenID provider (tests/oidc-op/test/*.test.mjs, Node's
# test runner): discovery, JWKS, the code flow with PKCE and private_key_jwt
# driven over plain HTTP, cancel, acr_values, staff roles, RP-initiated and
# back-channel logout, key rotation, the test controls. Installs the npm
# packages from the lockfile when needed (scripts/oidc-op.sh --install-only).
# Needs no database and no build. Prints "oidc-op: N passed, M failed" and
# exits non-zero on any failure. Runs in about 10 s (limit 60 s).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "oidc-op-test: $*"; }
fail() { say "$*" >&2; echo "oidc-op: 0 passed, 1 failed"; exit 1; }

scripts/oidc-op.sh --install-only || fail "npm ci in tests/oidc-op failed"

TAP=$(mktemp /tmp/mz-oidc-op-test.XXXXXX)
trap 'rm -f "$TAP"' EXIT
status=0
timeout 60 node --test --test-concurrency=1 --test-timeout=30000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$TAP" \
  tests/oidc-op/test/*.test.mjs || status=$?

passed=$(grep -E '^# pass [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$TAP" | tail -1 | awk '{print $3}')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; say "no test ran"; fi
echo "oidc-op: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
