#!/usr/bin/env bash
# GEMM: MtlEngine against NumPy/OpenBLAS on the same machine, in the same run, interleaved.
#
# For each size × dtype × threads it runs `mtl bench gemm` and the NumPy peer (gemm_peer.py) one after the other,
# REPEATS times (alternating), keeps the best GFLOPS of each (the machine is shared: the best run is the least
# disturbed one), and prints: size, dtype, threads, ours, OpenBLAS, ratio, % of our measured peak.
#
# The peer is Debian's NumPy on OpenBLAS (pthread build). A fresh machine gets it with
#     apt-get install -y python3-numpy libopenblas0-pthread
# and `update-alternatives --display libblas.so.3-x86_64-linux-gnu` should point at openblas-pthread.
# OPENBLAS_CORETYPE (set to Haswell on these machines) and OPENBLAS_L2_SIZE are unset for the peer so that
# OpenBLAS picks its AVX-512 kernels (or, where it does not know the processor and would fall back to an SSE core, the
# best core the hardware runs: openblas_core.py); OPENBLAS_NUM_THREADS equals our thread count. The peer prints the core it chose.
#
# Usage: benchmarks/peers/gemm.sh [sizes...]            (default: 32 64 128 256 512 1024 2048 4096)
# Env:   MTL      the command that runs mtl (default: dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll;
#                 build it first: dotnet build src/MtlEngine.Cli -c Release)
#        DTYPES (default "f32 f64"), THREADS (default "1 2"), REPEATS (default 3)
#        ISA=avx2 on an AVX-512 machine: our AVX2 microkernels (the Zen 3 path; AVX-512 switched off in the runtime by
#                 DOTNET_EnableAVX512=0) against OpenBLAS's Haswell (AVX2) kernels (OPENBLAS_CORETYPE=Haswell). .NET 10's
#                 knob is DOTNET_EnableAVX512: the .NET 8 name DOTNET_EnableAVX512F=0 is ignored (our runs stay avx512),
#                 and DOTNET_PreferredVectorBitWidth=256 only stops Vector512 being accelerated: the JIT then still
#                 encodes the AVX2 kernels with EVEX and 32 registers, which no AVX2-only processor has. The script stops
#                 when either side does not report the AVX2 instruction set.
# The header lines name the CPU model, CPUID family_model, microarchitecture, instruction set and 1-thread FMA peak of our
# runs, and the OpenBLAS core of the peer's.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(32 64 128 256 512 1024 2048 4096)
DTYPES="${DTYPES:-f32 f64}"; THREADS="${THREADS:-1 2}"; REPEATS="${REPEATS:-3}"
ours_env=(); peer_core=(-u OPENBLAS_CORETYPE)
forced=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$root/benchmarks/peers/openblas_core.py")
[ -n "$forced" ] && peer_core=(OPENBLAS_CORETYPE="$forced")   # OpenBLAS does not know this CPU: its best core, not SSE
if [ "${ISA:-}" = avx2 ]; then ours_env=(DOTNET_EnableAVX512=0); peer_core=(OPENBLAS_CORETYPE=Haswell); fi

field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

head=$(env "${ours_env[@]}" $MTL bench gemm --n 16 --dtype f32 --threads 1 --device cpu)
peer_head=$(env -u OPENBLAS_L2_SIZE "${peer_core[@]}" OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$root/benchmarks/peers/gemm_peer.py" --n 16 --dtype f32)
echo "# ours: cpu=$(field cpu "$head") cpuid=$(field cpuid "$head") uarch=$(field uarch "$head") isa=$(field isa "$head") f32_peak_gflops_1t=$(field peak_gflops_1t "$head")"
echo "# peer: blas=$(field blas "$peer_head")"
if [ "${ISA:-}" = avx2 ] && { [ "$(field isa "$head")" != avx2 ] || [[ "$(field blas "$peer_head")" != *:Haswell ]]; }; then
  echo "ISA=avx2: expected isa=avx2 and OpenBLAS core Haswell, got isa=$(field isa "$head") blas=$(field blas "$peer_head")" >&2
  exit 1
fi
printf '%-6s %-5s %-7s %10s %10s %7s %8s  %s\n' size dtype threads ours_gf openblas_gf ratio %peak notes
for dtype in $DTYPES; do
  for threads in $THREADS; do
    for n in "${sizes[@]}"; do
      ours="" peer="" peak="" err="" core=""
      for ((r = 0; r < REPEATS; r++)); do
        line=$(env "${ours_env[@]}" $MTL bench gemm --n "$n" --dtype "$dtype" --threads "$threads" --device cpu)
        ours=$(best "$ours" "$(field gflops "$line")"); peak=$(best "$peak" "$(field peak_gflops "$line")"); err=$(field max_rel_err "$line")
        pline=$(env -u OPENBLAS_L2_SIZE "${peer_core[@]}" OPENBLAS_NUM_THREADS="$threads" /usr/bin/python3 "$root/benchmarks/peers/gemm_peer.py" --n "$n" --dtype "$dtype")
        peer=$(best "$peer" "$(field gflops "$pline")"); core=$(field blas "$pline")
      done
      awk -v n="$n" -v d="$dtype" -v t="$threads" -v o="$ours" -v p="$peer" -v k="$peak" -v e="$err" -v c="$core" \
        'BEGIN { printf "%-6s %-5s %-7s %10.1f %10.1f %7.2f %7.1f%%  err=%s %s\n", n, d, t, o, p, o / p, 100 * o / k, e, c }'
    done
  done
done
