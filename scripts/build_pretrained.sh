#!/usr/bin/env bash
# Rebuilds the shipped gghh-box-1l replica set: two replicas trained in parallel (one CPU
# thread each, resumable: rerun after an interruption), merged, and registered with checksum.
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/gghh-shipped
for seed in 0 1; do
  hepemu integral train --card cards/gghh_box_shipped.toml --out "$out/r$seed" --seed "$seed" &
done
wait
hepemu integral combine "$out"/r0/model.safetensors "$out"/r1/model.safetensors \
  -o src/hepemu/pretrained/gghh-box-1l.safetensors
python3 -c "from hepemu.registry import register; print(register('gghh-box-1l', \
'src/hepemu/pretrained/gghh-box-1l.safetensors', \
'gg→HH one-loop box, sector x4=1: 2 GELU 3x64 INN replicas (anchored, Korobov 1, GL3 norm)'))"
