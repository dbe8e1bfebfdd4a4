#!/usr/bin/env bash
# Runs `mtl bench ridge` and its scikit-learn peer in one run, interleaved ours / peer for ROUNDS rounds, and prints
# ours, peer (median seconds over the rounds) and the ratio, with both training R².
#   benchmarks/peers/ridge.sh [THREADS] [ROUNDS]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. The machines are shared and noisy:
# compare ratios from one run, not absolute times across runs.
# MTL_RIDGE_CMD overrides the engine command (default: the CLI via dotnet run); it gets the thread count appended.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${MTL_RIDGE_CMD:-}" ]]; then
  dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  MTL_RIDGE_CMD="dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release -- bench ridge --threads"
fi
ours=""; peer=""
for ((r = 0; r < rounds; r++)); do
  ours+=$(bash -c "$MTL_RIDGE_CMD $threads")$'\n'
  peer+=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
    /usr/bin/python3 "$root/benchmarks/peers/ridge_peer.py" --threads "$threads")$'\n'
done
echo "# ours"
echo -n "$ours"
echo "# peer (scikit-learn)"
echo -n "$peer"
echo "# ratio = peer seconds / our seconds (medians over $rounds interleaved rounds)"
/usr/bin/python3 "$root/benchmarks/peers/medians.py" "$ours" "$peer" --extra r2
