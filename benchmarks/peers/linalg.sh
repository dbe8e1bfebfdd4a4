#!/usr/bin/env bash
# Runs `mtl bench linalg` and its NumPy/SciPy peer (the faster of the two per operation) interleaved for ROUNDS rounds
# and prints ours, peer (median seconds) and the ratio per operation, with both residuals. eigh and solve are our
# workspace forms (results on reused storage, as a loop runs them), and so are cholesky, svd and qr; the *_fresh lines,
# the allocating calls, are compared with the same peer lines.
#   benchmarks/peers/linalg.sh [THREADS] [ROUNDS]
# MTL_LINALG_CMD overrides the engine command; it gets the thread count appended.
# ISA=avx2 (on an AVX-512 machine): our AVX2 path against OpenBLAS's Haswell kernels (interleaved.sh); STAT=best: fastest rounds.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/benchmarks/peers/interleaved.sh"
ours=${MTL_LINALG_CMD:-$(mtl_command bench linalg --threads)}
interleave "$rounds" "$ours $threads" \
  "$(peer_env "$threads") /usr/bin/python3 $root/benchmarks/peers/linalg_peer.py --threads $threads" \
  "NumPy/SciPy, the faster of the two" --extra residual --pair cholesky_fresh=cholesky --pair svd_fresh=svd --pair eigh_fresh=eigh --pair solve_fresh=solve --pair qr_fresh=qr
