#!/usr/bin/env bash
# Set up everything the tests need, then run them: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PYTHONUNBUFFERED=1
exec .venv/bin/python -m pytest "$@"
