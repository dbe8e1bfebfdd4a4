#!/usr/bin/env bash
# The multi-task MLP training step on the GPU: MtlEngine (`mtl bench mlp --device cuda`) against PyTorch on the same
# GPU (mlp_gpu_peer.py: the same network, batches and Adam, float32 with TF32 off), in the same run, interleaved
# REPEATS times; keeps the best (least disturbed) time of each and prints ours, PyTorch's, the ratio (ours / PyTorch;
# issue 7's target is ≤ 1.5) and both final losses. Needs a machine with an NVIDIA GPU, a CUDA driver and a CUDA build
# of PyTorch; it has not been run yet (no GPU was lent to the session that wrote it).
#
# Usage: benchmarks/peers/mlp_gpu.sh
# Env:   MTL      the command that runs mtl (default: dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll; on a machine
#                 without .NET, a self-contained publish: see /work/shared/DESIGN.md, "GPU machine")
#        DEVICE (default cuda), STEPS (default 100), REPEATS (default 3)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
DEVICE="${DEVICE:-cuda}"; STEPS="${STEPS:-100}"; REPEATS="${REPEATS:-3}"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

ours="" peer="" loss="" peer_loss=""
for ((r = 0; r < REPEATS; r++)); do
  line=$($MTL bench mlp --steps "$STEPS" --device "$DEVICE")
  ours=$(least "$ours" "$(field us_per_step "$line")"); loss=$(field final_loss "$line")
  pline=$(/usr/bin/python3 "$root/benchmarks/peers/mlp_gpu_peer.py" --steps "$STEPS" --device "$DEVICE")
  peer=$(least "$peer" "$(field us_per_step "$pline")"); peer_loss=$(field final_loss "$pline")
done
awk -v o="$ours" -v p="$peer" -v d="$DEVICE" -v l="$loss" -v pl="$peer_loss" \
  'BEGIN { printf "mlp_multitask device=%s ours_us=%.0f torch_us=%.0f ratio=%.2f final_loss=%s torch_final_loss=%s\n", d, o, p, o / p, l, pl }'
