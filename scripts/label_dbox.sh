#!/usr/bin/env bash
# Labels the two-loop double box for its Chebyshev interpolants, one thread, one step after the
# other, into runs/dbox/: STEPS lists n<k> (the k³ Chebyshev–Lobatto nodes, log|s| axes), test
# and calib (250 uniform points each); a step <step>@<n> labels the same points by n nodes per
# axis into <name>-<n>.h5 (test@14: the test points at ≤ 1e-8). Every label by the sector-wise
# tensor Gauss–Legendre rule in u, x = u² (default 13 nodes per axis: ~1e-7 relative, ~0.5 s
# per point; 14: ≤ 1e-8, ~1 s; 16: ~2 s). The shipped model: STEPS="n12@14 calib@16".
# Rerunning resumes (hepemu data generate); wall times are appended to runs/dbox/times.jsonl
# (benchmarks/surrogates_dbox.py reads them as the labelling cost).
#   STEPS="n12@14 test@14 calib@16 test@16" scripts/label_dbox.sh   # benchmarks/surrogates_dbox.py
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
hepemu=${HEPEMU:-hepemu}
mkdir -p runs/dbox
run() {  # name, generate arguments...
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  $hepemu data generate --provider gghh-dbox-2l/integral --option rule=gl-u2 \
    --option nodes="$nodes" "$@" --out "runs/dbox/$name.h5" || {
    echo "FAILED $name"
    return 1
  }
  t1=$(date +%s.%N)
  echo "{\"name\": \"$name\", \"seconds\": $(echo "$t1 - $t0" | bc)}" >> runs/dbox/times.jsonl
}
for spec in ${STEPS:-n12@14 test@14 calib@16 test@16}; do
  nodes=13 suffix=""
  if [[ $spec == *@* ]]; then
    nodes=${spec#*@} suffix="-${spec#*@}" spec=${spec%@*}
  fi
  case $spec in
    n*) k=${spec#n}
      run "nodes$k$suffix" --sampler chebyshev --nodes "$k,$k,$k" --axis-maps log,log,log \
        --chunk 512 ;;
    test) run "test$suffix" --sampler uniform --n 250 --seed 28001 --chunk 125 ;;
    calib) run "calib$suffix" --sampler uniform --n 250 --seed 28002 --chunk 125 ;;
    *) echo "unknown step $spec (n<k>, test, calib)"; exit 2 ;;
  esac
done
