# Sourced by the peer scripts (linalg, ridge, pca, logreg, text): the one way they run ours and the peer in one run,
# interleaved ours / peer for ROUNDS rounds, and compare the medians with medians.py.
#   root=... ; source "$root/benchmarks/peers/interleaved.sh"
#   interleave ROUNDS "OURS_COMMAND" "PEER_COMMAND" "PEER_LABEL" [medians.py options ...]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. STAT=best compares the fastest rounds
# instead of the medians. The machines are shared and noisy:
# compare ratios from one run, not absolute times across runs.
# ISA=avx2 on an AVX-512 machine (as benchmarks/peers/gemm.sh): our AVX2 path, the one a Zen 3 runs (AVX-512 switched
# off in the runtime by DOTNET_EnableAVX512=0, the .NET 10 knob), against OpenBLAS's Haswell (AVX2) kernels
# (OPENBLAS_CORETYPE=Haswell) under NumPy, SciPy and scikit-learn. Before the rounds it checks that both sides really
# run AVX2 (our `bench gemm` reports isa=avx2; every OpenBLAS the peer's Python loads reports the Haswell core) and
# stops otherwise. The first output lines name both.

# MTL, when set, is the command that runs mtl (e.g. `dotnet /some/publish/mtl.dll`: a build that stays put while the
# worktree is rebuilt); otherwise the worktree's CLI, built once, then run without building.
mtl_base() {
  echo "${MTL:-dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release --}"
}

# The default engine command: mtl_base with the arguments appended (building the worktree's CLI first when MTL is unset).
mtl_command() {
  [ -n "${MTL:-}" ] || dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  echo "$(mtl_base) $*"
}

# Our environment: empty, or DOTNET_EnableAVX512=0 under ISA=avx2.
ours_env() {
  if [ "${ISA:-}" = avx2 ]; then echo "env DOTNET_EnableAVX512=0"; fi
}

# The peer's environment for THREADS threads: OpenBLAS and OpenMP pinned to it, OpenBLAS choosing its own kernels,
# except where it does not know the processor and would fall back to an SSE core: then the best core the hardware runs
# (openblas_core.py; e.g. SkylakeX on an Emerald Rapids Xeon, which Debian's OpenBLAS takes for a Prescott).
# Under ISA=avx2: the Haswell core.
peer_env() {
  local core
  if [ "${ISA:-}" = avx2 ]; then
    core=Haswell
  else
    core=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$root/benchmarks/peers/openblas_core.py")
  fi
  echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${core:+OPENBLAS_CORETYPE=$core }OPENBLAS_NUM_THREADS=$1 OMP_NUM_THREADS=$1"
}

# Prints the instruction set our kernels run (isa= of `bench gemm`) and the cores of the OpenBLAS libraries the peer's
# Python loads (NumPy, SciPy, scikit-learn), and under ISA=avx2 stops unless they are avx2 and Haswell.
check_isa() {
  local ours_isa peer_cores
  ours_isa=$($(ours_env) $(mtl_base) bench gemm --n 16 --dtype f32 --threads 1 --device cpu 2>/dev/null | sed -n 's/.*\bisa=\([^ ]*\).*/\1/p') || true
  peer_cores=$($(peer_env 1) /usr/bin/python3 -c '
import ctypes, numpy, scipy.linalg, sklearn.linear_model  # noqa: F401  (load every BLAS the peers use)
paths = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libopenblas" in l.split()[-1]})
cores = set()
for p in paths:
    lib = ctypes.CDLL(p)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    cores.add(lib.openblas_get_corename().decode())
print(",".join(sorted(cores)) or "none")')
  echo "# ours: isa=${ours_isa:-unknown}${ISA:+ (ISA=$ISA)}"
  echo "# peer: openblas_core=$peer_cores"
  if [ "${ISA:-}" = avx2 ] && { [ "$ours_isa" != avx2 ] || [ "$peer_cores" != Haswell ]; }; then
    echo "ISA=avx2: expected isa=avx2 and OpenBLAS core Haswell, got isa=$ours_isa openblas_core=$peer_cores" >&2
    exit 1
  fi
}

interleave() {
  local rounds=$1 ours_command=$2 peer_command=$3 label=$4
  shift 4
  local ours="" peer="" r
  check_isa
  for ((r = 0; r < rounds; r++)); do
    ours+=$($(ours_env) bash -c "$ours_command")$'\n'
    peer+=$(bash -c "$peer_command")$'\n'
  done
  echo "# ours"
  echo -n "$ours"
  echo "# peer ($label)"
  echo -n "$peer"
  echo "# ratio = peer seconds / our seconds (${STAT:-median}s over $rounds interleaved rounds)"
  /usr/bin/python3 "$root/benchmarks/peers/medians.py" "$ours" "$peer" --statistic "${STAT:-median}" "$@"
}
