#!/usr/bin/env bash
# Set up everything the tests need, then run them: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PYTHONUNBUFFERED=1
# With test paths given (tests/unit, tests/api/test_x.py::test_y), run just those.
for arg in "$@"; do
  if [ -e "${arg%%::*}" ]; then exec .venv/bin/python -m pytest "$@"; fi
done
# The whole suite: the Ray tests (tests/cluster) in a pytest process of their own, after the rest.
# A Ray driver changes process-wide state (its threads, signal handling, RAY_ADDRESS); tests that
# ran after it in the same process crashed now and then.
status=0
.venv/bin/python -m pytest "$@" --ignore=tests/cluster || status=$?
.venv/bin/python -m pytest "$@" tests/cluster || status=$?
exit "$status"
