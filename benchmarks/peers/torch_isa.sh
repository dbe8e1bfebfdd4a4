# Sourced by the PyTorch peer scripts (cnn.sh, mlp.sh, train_mmoe.sh): the one ISA=avx2 set-up and check.
# ISA=avx2 on an AVX-512 machine runs our AVX2 path (DOTNET_EnableAVX512=0, as gemm.sh) against PyTorch's AVX2 kernels
# (ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2, OPENBLAS_CORETYPE=Haswell). After sourcing (root set):
#   ours_isa_env    the variables for our runs: none, or DOTNET_EnableAVX512=0
#   torch_isa_env   the variables PyTorch's process adds: none, or the three AVX2 ones
#   torch_isa_check MTL_COMMAND [PEER_ENV_WORDS ...]
#                   prints "# ours: isa=..." and "# peer: ..." (torch_isa.py: ATen's capability, oneDNN's ISA and
#                   OpenBLAS's core in the peer's environment) and, under ISA=avx2, exits 1 unless both sides run AVX2.
ours_isa_env=(); torch_isa_env=()
if [ "${ISA:-}" = avx2 ]; then
  ours_isa_env=(DOTNET_EnableAVX512=0)
  torch_isa_env=(OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2)
fi

torch_isa_check() {
  local mtl=$1 isa peer
  shift
  isa=$(env "${ours_isa_env[@]}" $mtl bench gemm --n 16 --dtype f32 --threads 1 --device cpu | sed -n 's/.*\bisa=\([^ ]*\).*/\1/p')
  peer=$(env "$@" "${torch_isa_env[@]}" /usr/bin/python3 "$root/benchmarks/peers/torch_isa.py")
  echo "# ours: isa=$isa"
  echo "# peer: $peer"
  if [ "${ISA:-}" = avx2 ] && [[ "$isa" != avx2 || " $peer " != *" aten=AVX2 "* || " $peer " != *" onednn=avx2 "* || " $peer " != *" blas=Haswell "* ]]; then
    echo "ISA=avx2: expected isa=avx2 and the peer's aten=AVX2 onednn=avx2 blas=Haswell, got isa=$isa and $peer" >&2
    exit 1
  fi
}
