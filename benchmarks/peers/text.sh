#!/usr/bin/env bash
# Runs `mtl bench text` and its scikit-learn peer in one run, interleaved ours / peer for ROUNDS rounds, and prints
# ours, peer (median seconds over the rounds) and the ratio, with both feature and stored-entry counts.
#   benchmarks/peers/text.sh [DOCS] [ROUNDS]     (DOCS: only the first DOCS glosses; default 0 = all)
# ratio = peer seconds / our seconds: ≥ 1 means the engine is at least as fast. Both sides are single-threaded.
# MTL_TEXT_CMD overrides the engine command (default: the CLI via dotnet run); it gets `--docs DOCS` appended.
set -euo pipefail
docs=${1:-0}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${MTL_TEXT_CMD:-}" ]]; then
  dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
  MTL_TEXT_CMD="dotnet run --no-build --project $root/src/MtlEngine.Cli -c Release -- bench text"
fi
ours=""; peer=""
for ((r = 0; r < rounds; r++)); do
  ours+=$(bash -c "$MTL_TEXT_CMD --docs $docs")$'\n'
  peer+=$(/usr/bin/python3 "$root/benchmarks/peers/text_peer.py" "$docs")$'\n'
done
echo "# ours"
echo -n "$ours"
echo "# peer (scikit-learn)"
echo -n "$peer"
echo "# ratio = peer seconds / our seconds (medians over $rounds interleaved rounds)"
/usr/bin/python3 "$root/benchmarks/peers/medians.py" "$ours" "$peer" --extra features --extra nnz
