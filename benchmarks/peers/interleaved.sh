# Sourced by the peer scripts (linalg, ridge, pca, logreg, text): the one way they run ours and the peer in one run,
# interleaved ours / peer for ROUNDS rounds, and compare the medians with medians.py.
#   root=... ; source "$root/benchmarks/peers/interleaved.sh"
#   interleave ROUNDS "OURS_COMMAND" "PEER_COMMAND" "PEER_LABEL" [medians.py options ...]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. STAT=best compares the fastest rounds
# instead of the medians. The machines are shared and noisy:
# compare ratios from one run, not absolute times across runs.

# The default engine command: the CLI built once, then run without building; the arguments are appended.
mtl_command() {
  dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  echo "dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release -- $*"
}

# The peer's environment for THREADS threads: OpenBLAS and OpenMP pinned to it, OpenBLAS choosing its own kernels,
# except where it does not know the processor and would fall back to an SSE core: then the best core the hardware runs
# (openblas_core.py; e.g. SkylakeX on an Emerald Rapids Xeon, which Debian's OpenBLAS takes for a Prescott).
peer_env() {
  local core
  core=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$root/benchmarks/peers/openblas_core.py")
  echo "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${core:+OPENBLAS_CORETYPE=$core }OPENBLAS_NUM_THREADS=$1 OMP_NUM_THREADS=$1"
}

interleave() {
  local rounds=$1 ours_command=$2 peer_command=$3 label=$4
  shift 4
  local ours="" peer="" r
  for ((r = 0; r < rounds; r++)); do
    ours+=$(bash -c "$ours_command")$'\n'
    peer+=$(bash -c "$peer_command")$'\n'
  done
  echo "# ours"
  echo -n "$ours"
  echo "# peer ($label)"
  echo -n "$peer"
  echo "# ratio = peer seconds / our seconds (${STAT:-median}s over $rounds interleaved rounds)"
  /usr/bin/python3 "$root/benchmarks/peers/medians.py" "$ours" "$peer" --statistic "${STAT:-median}" "$@"
}
