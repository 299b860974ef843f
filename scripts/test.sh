#!/usr/bin/env bash
# Installs hepemu with its test extras (CPU torch wheel) and runs lint + the default test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet torch==2.13.0
python3 -m pip install --quiet -e ".[test]"
python3 -m ruff check src tests benchmarks
python3 -m pytest -q -m "not slow" tests
