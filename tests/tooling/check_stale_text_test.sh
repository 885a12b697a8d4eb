#!/usr/bin/env bash
# scripts/check-stale-text.sh on a fixture tree: it must flag exactly the stale comments of
# stale_text/autograd/stale.cpp (expected.txt) and nothing in stale_text/examples/clean.cpp,
# whose literals hold the same figures outside comments.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(bash "$here/../../scripts/check-stale-text.sh" "$here/stale_text" 2>/dev/null)"
status=$?
if [ "$status" -ne 1 ]; then
  echo "check_stale_text_test: expected exit status 1, got $status" >&2
  exit 1
fi
if ! diff <(printf '%s\n' "$out") "$here/stale_text/expected.txt"; then
  echo "check_stale_text_test: findings differ from stale_text/expected.txt (diff above)" >&2
  exit 1
fi
echo "check_stale_text_test: exactly the 8 expected findings"
