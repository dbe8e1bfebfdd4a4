#!/usr/bin/env bash
# `mtl train` on `mtl example emoji` with model.fusion concat (a small CNN for the picture, a 32-wide mean embedding bag
# for the name, concatenated, trunk [128], heads category and subcategory) against the same network, batches and
# epochs in PyTorch, interleaved rounds: ours is metrics.json's seconds_per_epoch (the median epoch's training steps,
# validation excluded), the peer's the same median. train_emoji_fusion_peer.py says the network in full. Early
# stopping is off on both sides (EPOCHS epochs each).
#
# Usage: benchmarks/peers/train_emoji_fusion.sh [THREADS] [ROUNDS]   (build first: dotnet build src/MtlEngine.Cli -c Release)
#   EPOCHS (5). STAT=best compares the fastest rounds.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/peers/interleaved.sh"
THREADS="${1:-$(nproc)}"; ROUNDS="${2:-3}"; EPOCHS="${EPOCHS:-5}"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
$MTL example emoji --out "$work" >/dev/null
/usr/bin/python3 "$root/benchmarks/peers/train_emoji_fusion_peer.py" "$work" --make --epochs "$EPOCHS"
ours_command="$MTL train --spec $work/spec-timing.json --out $work/run --threads $THREADS >/dev/null && /usr/bin/python3 -c \"import json; m=json.load(open('$work/run/metrics.json')); print('name=train_emoji_fusion seconds=%f epochs=%d accuracy=%.4f' % (m['seconds_per_epoch'], m['epochs_run'], m['tasks']['category']['test']['accuracy']))\""
# OMP_WAIT_POLICY=PASSIVE: the peer's better case on a shared, loaded machine (see train_mmoe.sh).
peer_command="$(peer_env "$THREADS") OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 $root/benchmarks/peers/train_emoji_fusion_peer.py $work --threads $THREADS --epochs $EPOCHS"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), avx512f: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no), threads=$THREADS, epochs=$EPOCHS"
interleave "$ROUNDS" "$ours_command" "$peer_command" "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" --extra accuracy
