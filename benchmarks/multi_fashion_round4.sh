#!/bin/bash
# Multi-Fashion, fourth round (benchmarks/results/multi-fashion.md): a shared CNN + FC trunk with linear heads, 5,000 items.
#   STAGE=choose SPLIT=validation benchmarks/multi_fashion_round4.sh   # seed 0, the trunk width candidates (the choice)
#   STAGE=grid   SPLIT=validation H=... benchmarks/multi_fashion_round4.sh   # the chosen width, every strategy, 3 seeds (the ranking)
#   STAGE=grid   SPLIT=test       H=... benchmarks/multi_fashion_round4.sh   # the same work folder: every finished run is reused, the table prints
# MTL: the CLI (the round used c589121's build copied to /tmp/fashion-mtl4); WORK: the work folder (one sub-folder per width).
# Never run two calls on one work folder at once: each reruns the other's unfinished runs.
# Builds after round 4 hold out validation items by default (round 5); --validation-count 0 gives round 4's data. With round 4's
# own build (no such option) run with VALIDATION_COUNT_0= (empty).
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
STAGE=${STAGE:-choose}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
WORK=${WORK:-/tmp/mf4}
JOBS=${JOBS:-2}
WEIGHTINGS=${WEIGHTINGS:-ew,uw,dwa,pcgrad,cagrad,upgrad,nash-mtl,imtl-g,famo}
table() {  # $1 channels, $2 H, $3 weightings, $4 seeds
    local channels=$1 h=$2 weightings=$3 seeds=$4
    benchmarks/mtl_table.py multi-fashion --architectures hps --weightings "$weightings" --seeds "$seeds" \
        --fashion-mnist "$FASHION" --train-count 5000 ${VALIDATION_COUNT_0---validation-count 0} --set 'split.validation_fraction=0.2' --epochs 30 \
        --early-stopping '{"metric":"loss","patience":3}' --set 'training.learning_rate=0.002' --set 'training.batch_size=128' \
        --threads 1 --jobs "$JOBS" --split "$SPLIT" --work "$WORK/c${channels//[^0-9]/_}-h$h" \
        --set "inputs=[{\"name\":\"picture\",\"type\":\"image\",\"path\":\"pictures.npy\",\"encoder\":{\"type\":\"cnn\",\"channels\":$channels,\"readout\":\"flatten\"}}]" \
        --set "model.hidden=[$h]"
}
if [ "$STAGE" = choose ]; then
    # the candidates side by side, one training each at a time (JOBS=1), 3 runs each (single-task left, right, HPS/EW)
    JOBS=1 table '[10,20]' 50 ew 0 > "$WORK-h50.$SPLIT.txt" &
    JOBS=1 table '[10,20]' 200 ew 0 > "$WORK-h200.$SPLIT.txt" &
    wait
    if [ -n "$WIDE" ]; then JOBS=2 table '[32,64]' 50 ew 0 > "$WORK-wide.$SPLIT.txt"; fi
    cat "$WORK"-h*."$SPLIT".txt
else
    table "${CHANNELS:-[10,20]}" "${H:?the chosen trunk width}" "$WEIGHTINGS" 0,1,2
fi
