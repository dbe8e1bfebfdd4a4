#!/bin/bash
# Multi-Fashion, fifth round (benchmarks/results/multi-fashion.md): round 4's protocol (a shared CNN + FC trunk with linear
# heads, 5,000 items, H = 50) on a clean validation split: the 1,000 validation pictures are built from the last 1,000 of the
# 5,000 items only (mtl example --validation-count 1000, the spec's split.validation), so that no validation picture shares an
# item with a training picture, as the 10,000 test pictures share none.
#   SPLIT=validation benchmarks/multi_fashion_round5.sh   # every strategy, 3 seeds (the ranking)
#   SPLIT=test       benchmarks/multi_fashion_round5.sh   # the same work folder: every finished run is reused, the table prints
# MTL: the CLI (the round used this branch's build copied to /tmp/fashion-mtl5); WORK: the work folder.
# WEIGHTINGS: cut from the end of the list when time runs out (the plan's order). Never run two calls on one work folder at once.
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
WORK=${WORK:-/tmp/mf5}
JOBS=${JOBS:-2}
H=${H:-50}
WEIGHTINGS=${WEIGHTINGS:-ew,upgrad,pcgrad,famo,dwa,uw,imtl-g,cagrad,nash-mtl}
benchmarks/mtl_table.py multi-fashion --architectures hps --weightings "$WEIGHTINGS" --seeds 0,1,2 \
    --fashion-mnist "$FASHION" --train-count 5000 --validation-count 1000 --epochs 30 \
    --early-stopping '{"metric":"loss","patience":3}' --set 'training.learning_rate=0.002' --set 'training.batch_size=128' \
    --threads 1 --jobs "$JOBS" --split "$SPLIT" --work "$WORK/c_10_20_-h$H" \
    --set 'inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]' \
    --set "model.hidden=[$H]"
