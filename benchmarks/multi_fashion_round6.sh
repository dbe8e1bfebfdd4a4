#!/bin/bash
# Multi-Fashion, sixth round (benchmarks/results/multi-fashion.md): round 5's network and clean validation split, at fewer
# training pictures. TRAIN training pictures are built from items 0..TRAIN-1 and the 1,000 validation pictures from the next
# 1,000 items only (mtl example --train-count TRAIN+1000 --validation-count 1000), so no validation picture shares an item with
# a training picture; the test pictures are the published 10,000. CNN [10, 20] (flatten) + FC 50, a linear head per task.
#   STAGE=A SPLIT=validation benchmarks/multi_fashion_round6.sh            # the choice of size: single-task and EW, TRAIN=1000 and 2000
#   STAGE=B TRAIN=N SPLIT=validation benchmarks/multi_fashion_round6.sh    # every strategy at the chosen size, 3 seeds (the ranking)
#   STAGE=B TRAIN=N SPLIT=test       benchmarks/multi_fashion_round6.sh    # the same work folder: every finished run is reused
#   STAGE=B TRAIN=4000 SEEDS=0,1,2,3,4,5,6,7,8,9 WEIGHTINGS=ew,dwa,upgrad SPLIT=... benchmarks/multi_fashion_round6.sh  # stage C: 10 seeds
#   STAGE=A SIZES=1000 PATIENCE=10 SPLIT=... benchmarks/multi_fashion_round6.sh  # stage D: early-stopping patience 10 at 1,000 pictures
#   STAGE=A SIZES='1000 2000 4000' EPOCHS=60 PATIENCE=10 SPLIT=... benchmarks/multi_fashion_round6.sh  # stage E: the sizes at 60 epochs, patience 10
# MTL: the CLI (the round used this branch's build copied to /tmp/fashion-mtl6); WORK: the work folder (one subfolder per size).
# WEIGHTINGS: cut from the end of the list when time runs out (the plan's order). Never run two calls on one work folder at once.
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
STAGE=${STAGE:-B}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
WORK=${WORK:-/tmp/mf6}
JOBS=${JOBS:-2}
H=${H:-50}
SEEDS=${SEEDS:-0,1,2}
PATIENCE=${PATIENCE:-3}
EPOCHS=${EPOCHS:-30}
P=$([ "$PATIENCE" = 3 ] || echo "-p$PATIENCE")$([ "$EPOCHS" = 30 ] || echo "-e$EPOCHS")
one_size() {  # $1: training pictures, $2: weightings
    benchmarks/mtl_table.py multi-fashion --architectures hps --weightings "$2" --seeds "$SEEDS" \
        --fashion-mnist "$FASHION" --train-count $(($1 + 1000)) --validation-count 1000 --epochs "$EPOCHS" \
        --early-stopping '{"metric":"loss","patience":'"$PATIENCE"'}' --set 'training.learning_rate=0.002' --set 'training.batch_size=128' \
        --threads 1 --jobs "$JOBS" --split "$SPLIT" --work "$WORK/n$1-c_10_20_-h$H$P" \
        --set 'inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]' \
        --set "model.hidden=[$H]"
}
if [ "$STAGE" = A ]; then
    for n in ${SIZES:-1000 2000}; do one_size "$n" ew; done
else
    one_size "${TRAIN:?STAGE=B needs TRAIN, the size chosen in stage A}" "${WEIGHTINGS:-ew,upgrad,pcgrad,famo,dwa,uw,imtl-g,cagrad,nash-mtl}"
fi
