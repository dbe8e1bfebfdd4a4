#!/usr/bin/env bash
# Runs `mtl bench pca` and its scikit-learn peer (PCA(32), svd_solver 'full' and 'randomized', X 20000×512 from the
# same formula) interleaved for ROUNDS rounds and prints ours, peer (median seconds) and the ratio per workload.
# pca_covariance (our solver "auto" for this shape) is compared with scikit-learn's full solver.
#   benchmarks/peers/pca.sh [THREADS] [ROUNDS]
# MTL_PCA_CMD overrides the engine command; it gets the thread count appended.
# ISA=avx2 (on an AVX-512 machine): our AVX2 path against OpenBLAS's Haswell kernels (interleaved.sh); STAT=best: fastest rounds.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/benchmarks/peers/interleaved.sh"
ours=${MTL_PCA_CMD:-$(mtl_command bench pca --threads)}
interleave "$rounds" "$ours $threads" \
  "$(peer_env "$threads") /usr/bin/python3 $root/benchmarks/peers/pca_peer.py --threads $threads" \
  "scikit-learn PCA" --extra explained_variance_ratio --pair pca_covariance=pca_full
