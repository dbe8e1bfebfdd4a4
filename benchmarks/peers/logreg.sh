#!/usr/bin/env bash
# Runs `mtl bench logreg` and its scikit-learn peer interleaved for ROUNDS rounds and prints ours, peer (median
# seconds) and the ratio per workload, with both iteration counts and training accuracies.
#   benchmarks/peers/logreg.sh [THREADS] [ROUNDS]
# MTL_LOGREG_CMD overrides the engine command; it gets the thread count appended.
# ISA=avx2 (on an AVX-512 machine): our AVX2 path against OpenBLAS's Haswell kernels (interleaved.sh); STAT=best: fastest rounds.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/benchmarks/peers/interleaved.sh"
ours=${MTL_LOGREG_CMD:-$(mtl_command bench logreg --threads)}
interleave "$rounds" "$ours $threads" \
  "$(peer_env "$threads") /usr/bin/python3 $root/benchmarks/peers/logreg_peer.py --threads $threads" \
  "scikit-learn LogisticRegression" --extra iterations --extra train_accuracy
