#!/usr/bin/env bash
# Lint openapi/openapi.yaml against the NL API Design Rules (Logius ADR 2.1.0
# Spectral ruleset; a copy is kept in openapi/lint/, see SOURCE.txt there). Exits non-zero on any error;
# warnings are reported but do not fail.
#
# Needs only node/npm: `npx --yes` fetches @stoplight/spectral-cli from the
# npm registry on first use.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

npx --yes @stoplight/spectral-cli lint --ruleset openapi/lint/logius-adr-2.1.0-spectral.yml openapi/openapi.yaml --fail-severity error
