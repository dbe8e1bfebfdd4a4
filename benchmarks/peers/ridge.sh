#!/usr/bin/env bash
# Runs `mtl bench ridge` and its scikit-learn peer interleaved (ours, peer, ours, peer) and prints each line and the
# ratio of each round.
#   benchmarks/peers/ridge.sh [THREADS] [ROUNDS]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. The machines are shared and noisy:
# compare ratios within one run, not absolute times across runs.
# MTL_RIDGE_CMD overrides the engine command (default: the built CLI via dotnet run); it gets the thread count appended.
set -euo pipefail
threads=${1:-1}
rounds=${2:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
ours_cmd() {
  if [[ -n "${MTL_RIDGE_CMD:-}" ]]; then
    bash -c "$MTL_RIDGE_CMD $threads"
  else
    dotnet run --project "$root/src/MtlEngine.Cli" -c Release -- bench ridge --threads "$threads"
  fi
}
peer_cmd() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
    /usr/bin/python3 "$root/benchmarks/peers/ridge_peer.py" --threads "$threads"
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
for round in $(seq 1 "$rounds"); do
  ours=$(ours_cmd)
  peer=$(peer_cmd)
  echo "# round $round"
  echo "ours: $ours"
  echo "peer: $peer"
  /usr/bin/python3 -c "import sys; o, p = float(sys.argv[1]), float(sys.argv[2]); print(f'name=ridge ours={o:.4g} peer={p:.4g} ratio={p / o:.2f} r2_ours={sys.argv[3]} r2_peer={sys.argv[4]}')" \
    "$(field "$ours" seconds)" "$(field "$peer" seconds)" "$(field "$ours" r2)" "$(field "$peer" r2)"
done
