#!/usr/bin/env bash
# Scans every log the test suite's services wrote (server-*.log and
# commands.log under DIR) for personal data that must never be logged: a
# 9-digit number passing the BSN 11-proof, a KVK number, or a JWT ("eyJ").
# Fixture logs (fake agencies) are not the service's and are left out.
#
# KVK numbers: any 8 digits can be one (no check digit), so an unlabelled
# 8-digit run cannot be told from a count or a timestamp part. Scanned for
# are (1) the fictitious KVK numbers the tests use (tests/support/mzt.c,
# mzt_test_kvks: keep the two lists equal) anywhere, and (2) any 8-digit
# run labelled as one: "kvk", "kvkNummer", "innNnpId" or "vestiging"
# followed within a few non-digit characters by 8 or more digits.
# Usage: scripts/check-logs.sh DIR
set -euo pipefail
dir=${1:?usage: check-logs.sh DIR}
mapfile -t logs < <(find "$dir" -type f \( -name 'server-*.log' -o -name 'commands.log' \) 2>/dev/null)
if [ ${#logs[@]} -eq 0 ]; then
  echo "check-logs: no service logs found under $dir"; exit 1
fi
bad=0
if grep -l 'eyJ' "${logs[@]}" >/dev/null 2>&1; then
  echo "check-logs: a JWT ('eyJ') appears in: $(grep -l 'eyJ' "${logs[@]}" | tr '\n' ' ')"; bad=1
fi
# 9-digit runs not part of longer digit runs, checked with the 11-proof.
hits=$(grep -ohE '(^|[^0-9])[0-9]{9}([^0-9]|$)' "${logs[@]}" | grep -oE '[0-9]{9}' | awk '
  { s = 0; for (i = 1; i <= 8; i++) s += substr($0, i, 1) * (10 - i); s -= substr($0, 9, 1);
    if ($0 != "000000000" && s % 11 == 0) print }' | sort -u | wc -l || true)
if [ "$hits" -gt 0 ]; then
  echo "check-logs: $hits distinct 11-proof number(s) appear in the service logs"; bad=1
fi
test_kvks='68750110|69599084|90004760'
if grep -qE "(^|[^0-9])($test_kvks)([^0-9]|\$)" "${logs[@]}"; then
  echo "check-logs: a test KVK number appears in: $(grep -lE "(^|[^0-9])($test_kvks)([^0-9]|\$)" "${logs[@]}" | tr '\n' ' ')"; bad=1
fi
if grep -qiE '(kvk|kvknummer|innnnpid|vestiging)[^0-9a-z]{1,6}[0-9]{8}' "${logs[@]}"; then
  echo "check-logs: a KVK-labelled number appears in: $(grep -liE '(kvk|kvknummer|innnnpid|vestiging)[^0-9a-z]{1,6}[0-9]{8}' "${logs[@]}" | tr '\n' ' ')"; bad=1
fi
lines=$(cat "${logs[@]}" | wc -l)
echo "check-logs: ${#logs[@]} log files, $lines lines: $([ $bad -eq 0 ] && echo clean || echo LEAK)"
exit $bad
