#!/usr/bin/env bash
# `mtl train` on the digits example against the same network, batches and epochs in PyTorch, interleaved rounds:
# ours is metrics.json's seconds_per_epoch (the median epoch's training steps, validation excluded; the first epoch,
# which also JIT-compiles the kernels, is metrics.json's seconds_first_epoch), the peer's the same median.
# Early stopping is off on both sides (EPOCHS epochs each).
#
# Usage: benchmarks/peers/train_digits.sh [THREADS] [ROUNDS]   (build first: dotnet build src/MtlEngine.Cli -c Release)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/peers/interleaved.sh"
THREADS="${1:-$(nproc)}"; ROUNDS="${2:-3}"; EPOCHS="${EPOCHS:-15}"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
$MTL example digits --out "$work" >/dev/null
sed -i "s/\"epochs\": 30/\"epochs\": $EPOCHS/; s/, *\"early_stopping\": {[^}]*}//" "$work/spec.json"
ours_command="$MTL train --spec $work/spec.json --out $work/run --threads $THREADS >/dev/null && /usr/bin/python3 -c \"import json; m=json.load(open('$work/run/metrics.json')); print('name=train_digits seconds=%f epochs=%d accuracy=%.4f' % (m['seconds_per_epoch'], m['epochs_run'], m['tasks']['digit']['test']['accuracy']))\""
peer_command="$(peer_env "$THREADS") /usr/bin/python3 $root/benchmarks/peers/train_digits_peer.py $work --threads $THREADS --epochs $EPOCHS"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), threads=$THREADS, epochs=$EPOCHS"
interleave "$ROUNDS" "$ours_command" "$peer_command" "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" --extra accuracy
