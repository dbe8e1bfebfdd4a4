#!/usr/bin/env bash
# Runs `mtl bench linalg` and its NumPy/SciPy peer in one run, interleaved ours / peer for ROUNDS rounds, and prints
# ours, peer (median seconds over the rounds) and the ratio per operation.
#   benchmarks/peers/linalg.sh [THREADS] [ROUNDS]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. The machines are shared and noisy:
# compare ratios from one run, not absolute times across runs.
# MTL_LINALG_CMD overrides the engine command (default: the CLI via dotnet run); it gets the thread count appended.
set -euo pipefail
threads=${1:-1}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${MTL_LINALG_CMD:-}" ]]; then
  dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  MTL_LINALG_CMD="dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release -- bench linalg --threads"
fi
ours=""; peer=""
for ((r = 0; r < rounds; r++)); do
  ours+=$(bash -c "$MTL_LINALG_CMD $threads")$'\n'
  peer+=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
    /usr/bin/python3 "$root/benchmarks/peers/linalg_peer.py" --threads "$threads")$'\n'
done
echo "# ours"
echo -n "$ours"
echo "# peer (NumPy/SciPy, the faster of the two)"
echo -n "$peer"
echo "# ratio = peer seconds / our seconds (medians over $rounds interleaved rounds)"
/usr/bin/python3 - "$ours" "$peer" <<'PY'
import statistics, sys
def parse(text):
    rows = {}
    for line in text.splitlines():
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "name" in kv:
            rows.setdefault(kv["name"], []).append(kv)
    return rows
ours, peer = parse(sys.argv[1]), parse(sys.argv[2])
def med(rows):
    return statistics.median(float(r["seconds"]) for r in rows)
for name, o in ours.items():
    p = peer.get(name)
    if p is None:
        continue
    so, sp = med(o), med(p)
    print(f"name={name} ours={so:.4g} peer={sp:.4g} ratio={sp / so:.2f} "
          f"residual_ours={o[0].get('residual', '-')} residual_peer={p[0].get('residual', '-')}")
PY
