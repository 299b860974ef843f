#!/usr/bin/env bash
# Rebuilds the shipped gghh-box-1l replica set exactly as it was made (CPU, 2 cores, ~90 min):
# two replicas trained in parallel (one thread each), each warm-restarted with a 4x larger
# batch, then merged and registered with its checksum. Every step resumes if interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
main=runs/gghh-shipped
polish=runs/gghh-polish
for seed in 0 1; do
  hepemu integral train --card cards/gghh_box_shipped.toml --out "$main/r$seed" --seed "$seed" &
done
wait
for seed in 0 1; do
  hepemu integral train --card cards/gghh_box_polish.toml --out "$polish/r$seed" --seed "$seed" \
    --init-from "$main/r$seed/replica0" &
done
wait
hepemu integral combine "$polish"/r0/model.safetensors "$polish"/r1/model.safetensors \
  -o src/hepemu/pretrained/gghh-box-1l.safetensors
python3 -c "from hepemu.registry import register; print(register('gghh-box-1l', \
'src/hepemu/pretrained/gghh-box-1l.safetensors', \
'gg→HH one-loop box, sector x4=1: 2 GELU 3x64 float32 INN replicas (anchored, Korobov 1, \
GL3 normalisation); 70k Adam steps (batch 4096) + 4k warm-restart steps (batch 16384) each, CPU'))"
