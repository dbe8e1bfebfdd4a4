#!/usr/bin/env bash
# `mtl train` with model.architecture mmoe on Multi-Fashion (two Fashion-MNIST items in one 36×36 picture, two
# 10-class tasks) against the same MMoE, batches and epochs in PyTorch, interleaved rounds: ours is metrics.json's
# seconds_per_epoch (the median epoch's training steps, validation excluded), the peer's the same median.
# Network: 4 experts Linear(1296, 128) → ReLU, a softmax gate per task, a tower Linear(128, 32) → ReLU and a head per
# task (train_mmoe_peer.py says it in full). Early stopping is off on both sides (EPOCHS epochs each).
#
# Usage: benchmarks/peers/train_mmoe.sh [THREADS] [ROUNDS]   (build first: dotnet build src/MtlEngine.Cli -c Release)
#   FASHION: the Fashion-MNIST folder (idx .gz files; default ../shared/datasets/fashion-mnist beside the repository);
#   SAMPLES: pictures made (6000), EPOCHS (5).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/peers/interleaved.sh"
THREADS="${1:-$(nproc)}"; ROUNDS="${2:-3}"; EPOCHS="${EPOCHS:-5}"; SAMPLES="${SAMPLES:-6000}"
FASHION="${FASHION:-$root/../shared/datasets/fashion-mnist}"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/benchmarks/peers/train_mmoe_peer.py" "$work" --make --fashion "$FASHION" --samples "$SAMPLES"
sed -i "s/\"epochs\": 5/\"epochs\": $EPOCHS/" "$work/spec.json"
ours_command="$MTL train --spec $work/spec.json --out $work/run --threads $THREADS >/dev/null && /usr/bin/python3 -c \"import json; m=json.load(open('$work/run/metrics.json')); print('name=train_mmoe seconds=%f epochs=%d accuracy=%.4f' % (m['seconds_per_epoch'], m['epochs_run'], m['tasks']['left']['test']['accuracy']))\""
# OMP_WAIT_POLICY=PASSIVE: on a shared, loaded machine the OpenMP threads' active spin-wait made PyTorch's 2-thread
# epoch 13× slower (84 s against 6.5 s); passive waiting is the peer's better case there.
peer_command="$(peer_env "$THREADS") OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 $root/benchmarks/peers/train_mmoe_peer.py $work --threads $THREADS --epochs $EPOCHS"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), avx512f: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no), threads=$THREADS, epochs=$EPOCHS, samples=$SAMPLES"
interleave "$ROUNDS" "$ours_command" "$peer_command" "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" --extra accuracy
