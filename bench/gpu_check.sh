#!/usr/bin/env bash
# GPU check, run by hand on a machine with an NVIDIA GPU: doctor, a full default training run and a scan, all on
# the JAX backend (a GPU image often has JAX but not TensorFlow). Run from the repository root:
#
#   bash bench/gpu_check.sh MNIST.npz [WHEELS_DIR]
#
# WHEELS_DIR (optional) holds wheels for what the machine lacks (keras, namex, optree, pebble, ...); they are
# installed into a temporary folder put on PYTHONPATH, and the repository itself is imported from the checkout.
# Output goes to ${OUT:-/tmp/digitscan-gpu-check}: the trained model with its card and plots, and the logs.
set -u
data=${1:?usage: bash bench/gpu_check.sh MNIST.npz [WHEELS_DIR]}
wheels=${2:-}
out=${OUT:-/tmp/digitscan-gpu-check}
python=${PYTHON:-python3}
mkdir -p "$out"
if [ -n "$wheels" ]; then
  site=$(mktemp -d)
  $python -m pip install -q --no-index --no-deps --no-compile --target "$site" "$wheels"/*.whl || exit 1
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" KERAS_BACKEND=jax PYTHONUNBUFFERED=1 COLUMNS=160
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$python -m digitscan doctor 2>&1 | tee "$out/doctor.log"
start=$(date +%s)
$python -m digitscan train --data "$data" --out "$out/digitnet" 2>&1 | tee "$out/train.log" | grep -v "━"
echo "training took $(( $(date +%s) - start )) s"
$python -m digitscan scan samples/ --model "$out/digitnet/digitnet.h5" 2>&1 | tee "$out/scan.log"
