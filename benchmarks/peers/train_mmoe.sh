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
#   ISA=avx2 on an AVX-512 machine: both sides on their AVX2 code (the Zen 3 path), as gemm.sh does: ours with AVX-512
#   switched off in the runtime (DOTNET_EnableAVX512=0, .NET 10's knob), PyTorch with ATEN_CPU_CAPABILITY=avx2 (its
#   element-wise kernels), OPENBLAS_CORETYPE=Haswell (the BLAS behind Linear's addmm) and ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN,
#   which this network's Linear layers do not reach); torch_isa.sh, shared with cnn.sh and mlp.sh, sets both sides up and
#   stops unless ours reports isa=avx2 and the peer ATen AVX2, oneDNN avx2 and OpenBLAS Haswell. Without ISA the header names what each side runs: PyTorch 1.13 picks
#   AVX2 for ATen on its own unless ATEN_CPU_CAPABILITY=avx512 is set, while OpenBLAS takes its AVX-512 core.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/benchmarks/peers/interleaved.sh"
THREADS="${1:-$(nproc)}"; ROUNDS="${2:-3}"; EPOCHS="${EPOCHS:-5}"; SAMPLES="${SAMPLES:-6000}"
FASHION="${FASHION:-$root/../shared/datasets/fashion-mnist}"
MTL="${MTL:-dotnet $root/src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$root/benchmarks/peers/train_mmoe_peer.py" "$work" --make --fashion "$FASHION" --samples "$SAMPLES"
sed -i "s/\"epochs\": 5/\"epochs\": $EPOCHS/" "$work/spec.json"
source "$root/benchmarks/peers/torch_isa.sh"
ours_env="${ours_isa_env[*]:+env ${ours_isa_env[*]} }" peer_isa="${torch_isa_env[*]:+ ${torch_isa_env[*]}}"
read -ra peer_words <<< "$(peer_env 1)"
torch_isa_check "$MTL" "${peer_words[@]:1}"   # the peer's environment without its leading "env"
ours_command="$ours_env$MTL train --spec $work/spec.json --out $work/run --threads $THREADS >/dev/null && /usr/bin/python3 -c \"import json; m=json.load(open('$work/run/metrics.json')); print('name=train_mmoe seconds=%f epochs=%d accuracy=%.4f' % (m['seconds_per_epoch'], m['epochs_run'], m['tasks']['left']['test']['accuracy']))\""
# OMP_WAIT_POLICY=PASSIVE: on a shared, loaded machine the OpenMP threads' active spin-wait made PyTorch's 2-thread
# epoch 13× slower (84 s against 6.5 s); passive waiting is the peer's better case there.
peer_command="$(peer_env "$THREADS")$peer_isa OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 $root/benchmarks/peers/train_mmoe_peer.py $work --threads $THREADS --epochs $EPOCHS"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), avx512f: $(grep -q avx512f /proc/cpuinfo && echo yes || echo no), threads=$THREADS, epochs=$EPOCHS, samples=$SAMPLES, ISA=${ISA:-native}"
interleave "$ROUNDS" "$ours_command" "$peer_command" "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')" --extra accuracy
