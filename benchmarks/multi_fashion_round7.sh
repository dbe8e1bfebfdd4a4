#!/bin/bash
# Multi-Fashion, seventh round (benchmarks/results/multi-fashion.md): the shared model at N = 4,000 training pictures, then
# the strategies on the chosen one. Round 6's data and protocol with its recommendation from the start: at most 60 epochs,
# early stopping patience 10 on the summed validation loss. 4,000 training pictures from items 0..3,999, 1,000 validation
# pictures from items 4,000..4,999 only, the published 10,000 test pictures. Encoder: CNN [10, 20] (flatten); linear heads.
#   STAGE=A SPLIT=validation benchmarks/multi_fashion_round7.sh   # the choice of model, all with EW:
#       H=50: HPS (round 6's stage E runs, reused), MMoE (4 experts of [50]), CGC (1 shared + 1 per task expert of [50]),
#             against single-task H=50 (round 6's stage E runs, reused);
#       H=200: HPS [200] against single-task [200] (the same encoder and budget per task)
#   STAGE=B ARCH=a H=h SPLIT=validation benchmarks/multi_fashion_round7.sh   # the strategies at the chosen model
#   STAGE=B ARCH=a H=h SPLIT=test       benchmarks/multi_fashion_round7.sh   # the same work folder: every finished run reused
# Round 6's H=50 runs: cp -r /tmp/mf6/n4000-c_10_20_-h50-p10-e60 $WORK/ and rewrite /tmp/mf6/ to $WORK/ in its *.json
# (the data paths in the specs), so that mtl_table.py reuses them; without them they are rerun (same specs, same seeds).
# MTL: the CLI (the round used the build of 297812f, copied to /tmp/fashion-mtl7; src/ is unchanged since).
# WEIGHTINGS: cut from the end of the list when time runs out (the plan's order). Never run two calls on one work folder at once.
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
STAGE=${STAGE:-B}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
WORK=${WORK:-/tmp/mf7}
JOBS=${JOBS:-2}
SEEDS=${SEEDS:-0,1,2}
PATIENCE=${PATIENCE:-10}
EPOCHS=${EPOCHS:-60}
TRAIN=${TRAIN:-4000}
one_model() {  # $1: width H of model.hidden (HPS trunk, MMoE/CGC experts, single-task trunk), $2: architectures, $3: weightings
    benchmarks/mtl_table.py multi-fashion --architectures "$2" --weightings "$3" --seeds "$SEEDS" \
        --fashion-mnist "$FASHION" --train-count $((TRAIN + 1000)) --validation-count 1000 --epochs "$EPOCHS" \
        --early-stopping '{"metric":"loss","patience":'"$PATIENCE"'}' --set 'training.learning_rate=0.002' --set 'training.batch_size=128' \
        --threads 1 --jobs "$JOBS" --split "$SPLIT" --work "$WORK/n$TRAIN-c_10_20_-h$1-p$PATIENCE-e$EPOCHS" \
        --set 'inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]' \
        --set "model.hidden=[$1]"
}
if [ "$STAGE" = A ]; then
    one_model 50 hps,mmoe,cgc ew
    one_model 200 hps ew
else
    one_model "${H:?STAGE=B needs H}" "${ARCH:?STAGE=B needs ARCH, the model chosen in stage A}" "${WEIGHTINGS:-ew,upgrad,pcgrad,dwa,cagrad,famo}"
fi
