#!/usr/bin/env bash
# Runs `mtl bench text` and its scikit-learn peer interleaved for ROUNDS rounds and prints ours, peer (median
# seconds) and the ratio, with both feature and stored-entry counts. Both sides are single-threaded.
#   benchmarks/peers/text.sh [DOCS] [ROUNDS]     (DOCS: only the first DOCS glosses; default 0 = all)
# MTL_TEXT_CMD overrides the engine command; it gets `--docs DOCS` appended.
# ISA=avx2 (on an AVX-512 machine): our AVX2 path against OpenBLAS's Haswell kernels (interleaved.sh); STAT=best: fastest rounds.
set -euo pipefail
docs=${1:-0}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/benchmarks/peers/interleaved.sh"
ours=${MTL_TEXT_CMD:-$(mtl_command bench text)}
interleave "$rounds" "$ours --docs $docs" "/usr/bin/python3 $root/benchmarks/peers/text_peer.py $docs" \
  "scikit-learn TfidfVectorizer" --extra features --extra nnz
