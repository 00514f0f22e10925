#!/usr/bin/env bash
# Prints a development token signed with the key that scripts/run.sh
# created (.data/keys). Examples:
#   scripts/dev-token.sh --bsn 999993653
#   scripts/dev-token.sh --role professional
set -euo pipefail
cd "$(dirname "$0")/.."
export MZ_JWT_PRIVATE_KEY_FILE=${MZ_JWT_PRIVATE_KEY_FILE:-$PWD/.data/keys/jwt-private.pem}
BIN=build-release/mijnzaken
[ -x "$BIN" ] || BIN=build/mijnzaken
exec "$BIN" dev-token "$@"
