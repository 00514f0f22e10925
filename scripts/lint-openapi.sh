#!/usr/bin/env bash
# Lint openapi/openapi.yaml against the NL API Design Rules (Logius ADR 2.1.0
# Spectral ruleset, kept in ../shared/specs/). Exits non-zero on any error;
# warnings are reported but do not fail.
#
# Needs only node/npm: `npx --yes` fetches @stoplight/spectral-cli from the
# npm registry on first use.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

npx --yes @stoplight/spectral-cli lint --ruleset ../shared/specs/logius-adr-2.1.0-spectral.yml openapi/openapi.yaml --fail-severity error
