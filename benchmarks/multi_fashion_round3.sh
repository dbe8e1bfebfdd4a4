#!/bin/bash
# Multi-Fashion, third round (benchmarks/results/multi-fashion.md): the runs and tables of that section, one training at a time.
#   SPLIT=validation benchmarks/multi_fashion_round3.sh   # the choice (seed 0) and the strategies' ranking
#   SPLIT=test       benchmarks/multi_fashion_round3.sh   # the same work folders: every finished run is reused, the tables print
# MTL_NEW / MTL_OLD: the CLI builds (the round used aeb364c's (copied to /tmp/fashion-mtl3) and b6a519a's, the latter for the previous round's configuration,
# whose runs it completes); WORK60 / WORK30: the work folders (WORK30 = the previous round's /tmp/mf3/h0 to reuse its runs).
# Never run two calls on one work folder at once: each reruns the other's unfinished runs.
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
MTL_NEW=${MTL_NEW:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
MTL_OLD=${MTL_OLD:-$MTL_NEW}
WORK60=${WORK60:-/tmp/mf5/n60}
WORK30=${WORK30:-/tmp/mf3/h0}
SET_IN='inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]'
# All 60,000 training items, at most 5 epochs, each run keeps its best epoch on the validation loss (patience 2).
N60=(--epochs 5 --fashion-mnist "$FASHION" --threads 1 --jobs 1 --set "$SET_IN" --set 'model.hidden=[]'
     --early-stopping '{"metric":"loss","patience":2}' --work "$WORK60" --split "$SPLIT")
# The previous round's configuration: the first 30,000 items, 4 epochs, the last epoch's weights.
N30=(--epochs 4 --fashion-mnist "$FASHION" --train-count 30000 --threads 1 --jobs 1 --set "$SET_IN" --set 'model.hidden=[]'
     --work "$WORK30" --split "$SPLIT")
MTL="$MTL_NEW" benchmarks/mtl_table.py multi-fashion --architectures hps --weightings ew,uw --seeds 0,1,2 "${N60[@]}"
MTL="$MTL_OLD" benchmarks/mtl_table.py multi-fashion --architectures hps --weightings ew,uw,dwa,pcgrad,cagrad,upgrad,nash-mtl --seeds 0,1,2 "${N30[@]}"
