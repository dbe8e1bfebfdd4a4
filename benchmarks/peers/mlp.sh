#!/usr/bin/env bash
# The multi-task MLP training step: MtlEngine (`mtl bench mlp`) against PyTorch (mlp_peer.py) on the same
# machine, in the same run, interleaved REPEATS times; keeps the best (least disturbed) time of each and prints
# ours, PyTorch's, the ratio (ours / PyTorch, ≤ 1 is the issue's target) and our allocated bytes per step.
#
# The peer is Debian's PyTorch: apt-get install -y python3-torch. torch.set_num_threads equals our thread count;
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for it, and OPENBLAS_NUM_THREADS=1: torch runs its own threads, and
# OpenBLAS threads inside them oversubscribe the cores (measured: 15.3 ms/step on 2 threads against 6.8 ms with this).
#
# Usage: benchmarks/peers/mlp.sh
# Env:   MTL (default: dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll; build it first), THREADS (default: nproc),
#        STEPS (default 100), REPEATS (default 3)
#        ISA=avx2 on an AVX-512 machine: our AVX2 path (DOTNET_EnableAVX512=0, as benchmarks/peers/gemm.sh) against
#                 PyTorch's AVX2 kernels (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, OPENBLAS_CORETYPE=Haswell); the
#                 script stops unless our runs report isa=avx2 and the peer ATen AVX2, oneDNN avx2 and OpenBLAS Haswell.
# The header lines name our instruction set and the peer's (ATen's CPU capability, oneDNN's effective ISA, OpenBLAS's core).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
THREADS="${THREADS:-$(nproc)}"; STEPS="${STEPS:-100}"; REPEATS="${REPEATS:-3}"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

source "$root/benchmarks/peers/torch_isa.sh"
ours_env=("${ours_isa_env[@]}"); peer_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "${torch_isa_env[@]}")
torch_isa_check "$MTL" "${peer_env[@]}"
ours="" peer="" alloc="" loss="" peer_loss=""
for ((r = 0; r < REPEATS; r++)); do
  line=$(env "${ours_env[@]}" $MTL bench mlp --threads "$THREADS" --steps "$STEPS" --device cpu)
  ours=$(least "$ours" "$(field us_per_step "$line")"); alloc=$(field alloc_bytes_per_step "$line"); loss=$(field final_loss "$line")
  pline=$(env "${peer_env[@]}" /usr/bin/python3 "$root/benchmarks/peers/mlp_peer.py" --threads "$THREADS" --steps "$STEPS")
  peer=$(least "$peer" "$(field us_per_step "$pline")"); peer_loss=$(field final_loss "$pline")
done
awk -v o="$ours" -v p="$peer" -v a="$alloc" -v t="$THREADS" -v l="$loss" -v pl="$peer_loss" \
  'BEGIN { printf "mlp_multitask threads=%s ours_us=%.0f torch_us=%.0f ratio=%.2f alloc_bytes_per_step=%s final_loss=%s torch_final_loss=%s\n", t, o, p, o / p, a, l, pl }'
