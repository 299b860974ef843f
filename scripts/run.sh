#!/usr/bin/env bash
# Installs hepemu (CPU torch wheel) and runs the main job: evaluates the shipped gg→HH box
# integration network, runs a short fresh training and writes reports/gghh-box-1l/report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet torch==2.13.0
python3 -m pip install --quiet -e .
hepemu run "$@"
