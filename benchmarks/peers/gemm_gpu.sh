#!/usr/bin/env bash
# GPU GEMM: MtlEngine's ILGPU kernel against PyTorch/cuBLAS (float32 with TF32 off) on the same GPU, in the same run,
# interleaved. Needs a machine with an NVIDIA GPU, a CUDA driver, and a CUDA build of PyTorch; it has not been run
# yet (no GPU was lent to the session that wrote it).
#
# For each size × dtype it runs `mtl bench gemm --device cuda` and gemm_gpu_peer.py one after the other, REPEATS
# times (alternating), keeps the best GFLOPS of each, and prints: size, dtype, ours, cuBLAS, ratio, both errors.
# Target (issue 7): SGEMM ≥ 50% of cuBLAS at n = 4096.
#
# Usage: benchmarks/peers/gemm_gpu.sh [sizes...]        (default: 512 1024 2048 4096)
# Env:   MTL      the command that runs mtl (default: dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll; on a machine
#                 without .NET, a self-contained publish: see /work/shared/DESIGN.md, "GPU machine")
#        DEVICE (default cuda), DTYPES (default "f32 f64"), REPEATS (default 2)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(512 1024 2048 4096)
DEVICE="${DEVICE:-cuda}"; DTYPES="${DTYPES:-f32 f64}"; REPEATS="${REPEATS:-2}"

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

printf '%-6s %-5s %10s %10s %7s  %s\n' size dtype ours_gf cublas_gf ratio notes
for dtype in $DTYPES; do
  for n in "${sizes[@]}"; do
    ours="" peer="" err="" perr=""
    for ((r = 0; r < REPEATS; r++)); do
      line=$($MTL bench gemm --n "$n" --dtype "$dtype" --device "$DEVICE")
      ours=$(best "$ours" "$(field gflops "$line")"); err=$(field max_rel_err "$line")
      pline=$(/usr/bin/python3 "$root/benchmarks/peers/gemm_gpu_peer.py" --n "$n" --dtype "$dtype" --device "$DEVICE")
      peer=$(best "$peer" "$(field gflops "$pline")"); perr=$(field max_rel_err "$pline")
    done
    awk -v n="$n" -v d="$dtype" -v o="$ours" -v p="$peer" -v e="$err" -v pe="$perr" \
      'BEGIN { printf "%-6s %-5s %10.1f %10.1f %7.2f  err=%s cublas_err=%s\n", n, d, o, p, o / p, e, pe }'
  done
done
