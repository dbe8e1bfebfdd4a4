#!/usr/bin/env bash
# Runs `mtl bench logreg` and its scikit-learn peer in one run and prints ours, peer and ratio per workload (with both iteration counts and training accuracies).
#   benchmarks/peers/logreg.sh [THREADS]
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. The machines are shared and noisy:
# compare ratios from one run, not absolute times across runs.
# MTL_LOGREG_CMD overrides the engine command (default: the CLI via dotnet run).
set -euo pipefail
threads=${1:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -n "${MTL_LOGREG_CMD:-}" ]]; then
  ours=$(bash -c "$MTL_LOGREG_CMD $threads")
else
  ours=$(dotnet run --project "$root/src/MtlEngine.Cli" -c Release -- bench logreg --threads "$threads")
fi
peer=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
  /usr/bin/python3 "$root/benchmarks/peers/logreg_peer.py" --threads "$threads")
echo "# ours"
echo "$ours"
echo "# peer (scikit-learn)"
echo "$peer"
echo "# ratio = peer seconds / our seconds"
/usr/bin/python3 - "$ours" "$peer" <<'PY'
import sys
def parse(text):
    rows = {}
    for line in text.splitlines():
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "name" in kv:
            rows[kv["name"]] = kv
    return rows
ours, peer = parse(sys.argv[1]), parse(sys.argv[2])
for name, o in ours.items():
    p = peer.get(name)
    if p is None:
        continue
    ratio = float(p["seconds"]) / float(o["seconds"])
    print(f"name={name} ours={o['seconds']} peer={p['seconds']} ratio={ratio:.2f} "
          f"iterations_ours={o.get('iterations', '-')} iterations_peer={p.get('iterations', '-')} "
          f"train_accuracy_ours={o.get('train_accuracy', '-')} train_accuracy_peer={p.get('train_accuracy', '-')}")
PY
