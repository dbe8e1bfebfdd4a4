#!/usr/bin/env bash
# Convolution forward + backward and a LeNet-like training step: MtlEngine (`mtl bench cnn`) against PyTorch
# (cnn_peer.py, whose convolutions run on oneDNN) on the same machine, in the same run, interleaved REPEATS times; keeps
# the best (least disturbed) time of each line and prints ours, PyTorch's and the ratio (ours / PyTorch, ≤ 1 is the
# issue's target).
#
# The peer is Debian's PyTorch: apt-get install -y python3-torch. torch.set_num_threads equals our thread count;
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for it, and OPENBLAS_NUM_THREADS=1 (torch runs its own threads).
#
# Usage: benchmarks/peers/cnn.sh
# Env:   MTL (default: dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll; build it first), THREADS (default: nproc),
#        REPEATS (default 3)
#        ISA=avx2 on an AVX-512 machine: our AVX2 path (the Zen 3 one: AVX-512 switched off in the runtime by
#                 DOTNET_EnableAVX512=0, as benchmarks/peers/gemm.sh) against PyTorch's AVX2 kernels (ATEN_CPU_CAPABILITY=avx2,
#                 oneDNN's ONEDNN_MAX_CPU_ISA=AVX2, OpenBLAS's OPENBLAS_CORETYPE=Haswell). The script stops unless our
#                 runs report isa=avx2 (`mtl bench gemm`'s field) and the peer reports ATen AVX2, oneDNN avx2 and an
#                 OpenBLAS Haswell core.
# The header lines name our instruction set and the peer's (ATen's CPU capability, oneDNN's effective ISA, OpenBLAS's core).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
THREADS="${THREADS:-$(nproc)}"; REPEATS="${REPEATS:-3}"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
line_of() { grep "^name=$1[ _]" <<<"$2" | head -1; }

source "$root/benchmarks/peers/torch_isa.sh"
ours_env=("${ours_isa_env[@]}"); peer_env=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 "${torch_isa_env[@]}")
torch_isa_check "$MTL" "${peer_env[@]}"
declare -A ours peer
alloc="" loss="" peer_loss=""
for ((r = 0; r < REPEATS; r++)); do
  out=$(env "${ours_env[@]}" $MTL bench cnn --threads "$THREADS" --device cpu)
  pout=$(env "${peer_env[@]}" /usr/bin/python3 "$root/benchmarks/peers/cnn_peer.py" --threads "$THREADS")
  for name in conv2d_a conv2d_b; do
    ours[$name]=$(least "${ours[$name]:-}" "$(field us_fwd_bwd "$(line_of $name "$out")")")
    peer[$name]=$(least "${peer[$name]:-}" "$(field us_fwd_bwd "$(line_of $name "$pout")")")
  done
  ours[cnn_step]=$(least "${ours[cnn_step]:-}" "$(field us_per_step "$(line_of cnn_step "$out")")")
  peer[cnn_step]=$(least "${peer[cnn_step]:-}" "$(field us_per_step "$(line_of cnn_step "$pout")")")
  alloc=$(field alloc_bytes_per_step "$(line_of cnn_step "$out")"); loss=$(field final_loss "$(line_of cnn_step "$out")")
  peer_loss=$(field final_loss "$(line_of cnn_step "$pout")")
done
for name in conv2d_a conv2d_b; do
  awk -v n="$name" -v o="${ours[$name]}" -v p="${peer[$name]}" -v t="$THREADS" \
    'BEGIN { printf "%s threads=%s ours_us=%.0f torch_us=%.0f ratio=%.2f\n", n, t, o, p, o / p }'
done
awk -v o="${ours[cnn_step]}" -v p="${peer[cnn_step]}" -v t="$THREADS" -v a="$alloc" -v l="$loss" -v pl="$peer_loss" \
  'BEGIN { printf "cnn_step threads=%s ours_us=%.0f torch_us=%.0f ratio=%.2f alloc_bytes_per_step=%s final_loss=%s torch_final_loss=%s\n", t, o, p, o / p, a, l, pl }'
