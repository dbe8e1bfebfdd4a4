#!/usr/bin/env bash
# Runs `mtl bench pca` and its scikit-learn peer (PCA(32), svd_solver 'full' and 'randomized', X 20000×512 from the
# same formula) in one run, interleaved ours / peer / ours / peer, and prints ours, peer and the ratio per workload.
#   benchmarks/peers/pca.sh [THREADS] [ROUNDS]
# ratio = peer seconds / our seconds (≥ 1: the engine is at least as fast), from the median over rounds of each side.
# pca_covariance (our solver "auto" for this shape) is compared with scikit-learn's full solver.
# MTL_PCA_CMD overrides the engine command (default: the built CLI via dotnet).
set -euo pipefail
threads=${1:-1}
rounds=${2:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${MTL_PCA_CMD:-}" ]]; then
  dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  MTL_PCA_CMD="dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release -- bench pca --threads"
fi
ours=""; peer=""
for ((r = 0; r < rounds; r++)); do
  ours+=$(bash -c "$MTL_PCA_CMD $threads")$'\n'
  peer+=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
    /usr/bin/python3 "$root/benchmarks/peers/pca_peer.py" --threads "$threads")$'\n'
done
echo "# ours"
echo -n "$ours"
echo "# peer (scikit-learn PCA)"
echo -n "$peer"
echo "# ratio = peer seconds / our seconds (medians over $rounds rounds)"
/usr/bin/python3 "$root/benchmarks/peers/medians.py" "$ours" "$peer" --extra explained_variance_ratio --pair pca_covariance=pca_full
