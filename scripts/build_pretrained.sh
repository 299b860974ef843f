#!/usr/bin/env bash
# Rebuilds the shipped gghh-box-1l replica set as it was made (CPU, 2 cores, ~90 min per pair of
# replicas): replicas trained two at a time (one thread each), each warm-restarted with a 4x
# larger batch, then merged and registered with its checksum. Every step resumes if
# interrupted. SEEDS picks the replicas (default: the four shipped ones).
set -euo pipefail
cd "$(dirname "$0")/.."
main=runs/gghh-shipped
polish=runs/gghh-polish
read -r -a seeds <<< "${SEEDS:-0 1 2 3}"
run_pairs() {  # run "$@" for every seed, two at a time
  local i
  for ((i = 0; i < ${#seeds[@]}; i += 2)); do
    "$@" "${seeds[i]}" &
    if ((i + 1 < ${#seeds[@]})); then "$@" "${seeds[i + 1]}" & fi
    wait
  done
}
stage1() { hepemu integral train --card cards/gghh_box_shipped.toml --out "$main/r$1" --seed "$1"; }
stage2() {
  hepemu integral train --card cards/gghh_box_polish.toml --out "$polish/r$1" --seed "$1" \
    --init-from "$main/r$1/replica0"
}
run_pairs stage1
run_pairs stage2
models=()
for seed in "${seeds[@]}"; do models+=("$polish/r$seed/model.safetensors"); done
hepemu integral combine "${models[@]}" -o src/hepemu/pretrained/gghh-box-1l.safetensors --force
python3 -c "from hepemu.registry import register; print(register('gghh-box-1l', \
'src/hepemu/pretrained/gghh-box-1l.safetensors', \
'gg→HH one-loop box, sector x4=1: ${#seeds[@]} GELU 3x64 float32 INN replicas (anchored, \
Korobov 1, GL3 normalisation); 70k Adam steps (batch 4096) + 4k warm-restart steps (batch \
16384) each, CPU'))"
# The shipped gghh-box-1l-chebyshev: a Chebyshev interpolant of log I(s12, s14, mH²) on 14³
# Lobatto nodes (log|s| axes), labelled by 40³ Gauss–Legendre (~4 s), built and calibrated in
# ~4 s (cards/gghh_box_chebyshev.toml).
hepemu data generate --provider gghh-box-1l/integral --sampler chebyshev --nodes 14,14,14 \
  --axis-maps log,log,log --option nodes=40 --out gghh_box_nodes14.h5
hepemu fit cards/gghh_box_chebyshev.toml --out runs/gghh-chebyshev
cp runs/gghh-chebyshev/model.safetensors src/hepemu/pretrained/gghh-box-1l-chebyshev.safetensors
python3 -c "from hepemu.registry import register; print(register('gghh-box-1l-chebyshev', \
'src/hepemu/pretrained/gghh-box-1l-chebyshev.safetensors', \
'gg→HH one-loop box sector x4=1, Chebyshev interpolant of log I(s12, s14, mH²) on 14³ \
Chebyshev–Lobatto nodes (axes in log|s|) on [−30, −3]³, labelled by 40³ Gauss–Legendre \
(cards/gghh_box_chebyshev.toml); I_err = coefficient tail calibrated on 1000 fresh points \
(48³ GL, seed 20261206)'))"
# The shipped gghh-dbox-2l-chebyshev: a Chebyshev interpolant of log I(s12, s14, mH²) of the
# two-loop double box on 12³ Lobatto nodes (log|s| axes), labelled by the sector-wise tensor
# Gauss–Legendre rule in u, x = u² (14 nodes per axis, ≤ 1e-8; ~1.1 s per point on one
# thread), σ calibrated on 250 fresh points labelled by the same rule at 16 nodes
# (cards/gghh_dbox_chebyshev.toml).
STEPS="n12@14 calib@16" scripts/label_dbox.sh
hepemu fit cards/gghh_dbox_chebyshev.toml --out runs/dbox-chebyshev
cp runs/dbox-chebyshev/model.safetensors src/hepemu/pretrained/gghh-dbox-2l-chebyshev.safetensors
python3 -c "from hepemu.registry import register; print(register('gghh-dbox-2l-chebyshev', \
'src/hepemu/pretrained/gghh-dbox-2l-chebyshev.safetensors', \
'gg→HH planar two-loop double box (top loop, mt²=1, massless rung), Chebyshev interpolant of \
log I(s12, s14, mH²) on 12³ Chebyshev–Lobatto nodes (axes in log|s|) on [−30, −3]³, labelled \
by the sector-wise tensor Gauss–Legendre rule in u, x = u², 14⁶ nodes per sector (28 CPU-min \
for the 1728 labels, one thread; cards/gghh_dbox_chebyshev.toml); I_err = coefficient tail \
calibrated on 250 fresh points labelled at 16⁶ (seed 28002)'))"
# The shipped ggyyg-1l-dnn and ggyyg-1l-ensemble (one-loop g g → γ γ g): from the
# precision-per-CPU-minute runs of benchmarks/precision_budget.py (3·10⁵ closed-form points of
# benchmarks/loop_bnn.py's blocks; canonical events; one thread per network):
python3 benchmarks/precision_budget.py --data-dir runs/bench_loop_1e6 --runs symmetric:18 \
  --ship symmetric:18:ggyyg-1l-dnn --out /tmp/ggyyg-dnn.json --no-overhead
python3 benchmarks/precision_budget.py --data-dir runs/bench_loop_1e6 \
  --runs symmetric-ensemble:36 --member-workers 2 \
  --ship symmetric-ensemble:36:ggyyg-1l-ensemble --out /tmp/ggyyg-ensemble.json --no-overhead
# The shipped ee4j-dnn (e+e- → d d~ g g, √s = 1 TeV, s_ij/s > 1e-3): the antenna hybrid of the
# same benchmark, 10⁶ pyamplicol points, Adam over 60 CPU-min on one thread:
python3 benchmarks/precision_budget.py --process ee4j --data-dir runs/bench_ee4j \
  --train-points 1000000 --test 100000 --runs adam-f32:60 --ship adam-f32:60:ee4j-dnn \
  --out /tmp/ee4j-dnn.json --no-overhead
# ee5j-dnn: the same hybrid for e+e- → d d~ g g g, 18 CPU-min on one thread:
python3 benchmarks/precision_budget.py --process ee5j --data-dir runs/bench_ee5j \
  --train-points 1000000 --test 100000 --runs adam-f32:18 --ship adam-f32:18:ee5j-dnn \
  --out /tmp/ee5j-dnn.json --no-overhead
# The shipped ggyyg-1l-pp-ensemble (g g → γ γ g for 13.6 TeV pp collisions): closed-form labels
# at the images of pp lab phase space (~40 s), three networks of 9 min each on one thread:
hepemu data generate --provider ggyyg-1l --option hadronic_sqrt_s=13600 --n 620000 \
  --chunk 62000 --seed 31 --out runs/pp/ggyyg-pp-train.h5
hepemu fit cards/ggyyg_pp_ensemble.toml --out runs/pp/ensemble
cp runs/pp/ensemble/model.safetensors src/hepemu/pretrained/ggyyg-1l-pp-ensemble.safetensors
python3 -c "from hepemu.registry import register; print(register('ggyyg-1l-pp-ensemble', \
'src/hepemu/pretrained/ggyyg-1l-pp-ensemble.safetensors', \
'ggyyg-1l |M|^2 for hadron collisions: 3 DNNs 3x128 SiLU float32, Adam, photon-order+beam-flip \
canonical inputs, trained on 296 000 images of 13.6 TeV pp lab phase space (photon and jet cuts \
in the lab) rescaled to sqrt(s_hat) = 1 TeV, 27 CPU-min on 1 thread (cards/ggyyg_pp_ensemble.toml); \
msq_err = the calibrated ensemble spread; 68% of |delta| 3.8e-03 on 11 941 unseen image points, \
sigma covering 67.9 % (1 sigma)'))"
