#!/usr/bin/env bash
# Runs `mtl bench ridge` and its scikit-learn peer interleaved for ROUNDS rounds and prints ours, peer (median
# seconds) and the ratio, with both training R².
#   benchmarks/peers/ridge.sh [THREADS] [ROUNDS]
# MTL_RIDGE_CMD overrides the engine command; it gets the thread count appended.
# ISA=avx2 (on an AVX-512 machine): our AVX2 path against OpenBLAS's Haswell kernels (interleaved.sh); STAT=best: fastest rounds.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/benchmarks/peers/interleaved.sh"
ours=${MTL_RIDGE_CMD:-$(mtl_command bench ridge --threads)}
interleave "$rounds" "$ours $threads" \
  "$(peer_env "$threads") /usr/bin/python3 $root/benchmarks/peers/ridge_peer.py --threads $threads" \
  "scikit-learn Ridge" --extra r2
