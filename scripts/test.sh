#!/usr/bin/env bash
# The README's test command (and CI's): builds a fresh virtual environment from nothing,
# installs hepemu there exactly as the main job's README command does and runs a quick main
# job (so a missing install step fails here, not on a user's machine), then adds the test
# extras and runs lint + the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${HEPEMU_TEST_VENV:-.venv-test}
python3 -m venv --clear "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT
echo "== main job, quick, in a fresh environment ($venv)"
bash scripts/run.sh --quick --out "$report/quick"
echo "== test extras, lint, tests"
python3 -m pip install --quiet -e ".[test]"
python3 -m ruff check src tests benchmarks
python3 -m pytest -q tests   # the whole suite: ~7 min on 2 cores (701 tests)
