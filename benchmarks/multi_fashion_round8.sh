#!/bin/bash
# Multi-Fashion, eighth round (benchmarks/results/multi-fashion.md): the architectures not tried on Multi-Fashion (PLE,
# cross-stitch, DSelect-k, MTAN) against round 7's HPS, MMoE and CGC, then the strategies on the chosen one, then 10 seeds.
# Round 7's data and protocol: 4,000 training pictures from items 0..3,999, 1,000 validation pictures from items
# 4,000..4,999 only, the published 10,000 test pictures; CNN [10, 20] (flatten); Adam 0.002, batch 128, at most 60 epochs,
# early stopping on the summed validation loss, patience 10, the best epoch restored; 1 thread per run, 2 runs at once.
# Widths: 50 everywhere (HPS trunk, MMoE/CGC/PLE/DSelect-k experts, cross-stitch columns, MTAN towers; single-task trunk).
#   STAGE=A SPLIT=validation benchmarks/multi_fashion_round8.sh   # the choice of architecture, all with EW:
#       hps, mmoe, cgc (round 7's runs, reused), ple (2 levels, 1 shared + 1 per-task expert per level), cross-stitch
#       (a [50] column per task), dselect-k (4 experts, k = 2), mtan (per-task attention over the CNN's blocks, a [50] tower
#       per task), each against the single-task H=50 runs (round 6/7's, reused)
#   STAGE=B ARCH=a SPLIT=validation benchmarks/multi_fashion_round8.sh   # the strategies on the chosen architecture
#   STAGE=C ARCH=a WEIGHTINGS=w1,w2,... SPLIT=validation|test benchmarks/multi_fashion_round8.sh   # seeds 0..9
#   any stage with SPLIT=test: the same work folder, every finished run reused
# Round 7's runs: cp -r /tmp/mf7/n4000-c_10_20_-h50-p10-e60 $WORK/ and rewrite /tmp/mf7/ to $WORK/ in its *.json (the data
# paths in the specs), so that mtl_table.py reuses them; without them they are rerun (same specs, same seeds).
# MTL: the CLI (the round used the build of 297812f, /tmp/fashion-mtl7, as round 7, so that its runs are the same code).
# WEIGHTINGS: cut from the end of the list when time runs out (the plan's order). Never run two calls on one work folder at once.
set -e
cd "$(dirname "$0")/.."
FASHION=${FASHION:-../shared/datasets/fashion-mnist}
SPLIT=${SPLIT:-validation}
STAGE=${STAGE:-B}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
WORK=${WORK:-/tmp/mf8}
JOBS=${JOBS:-2}
PATIENCE=${PATIENCE:-10}
EPOCHS=${EPOCHS:-60}
TRAIN=${TRAIN:-4000}
one_model() {  # $1: architectures, $2: weightings, $3: seeds
    benchmarks/mtl_table.py multi-fashion --architectures "$1" --weightings "$2" --seeds "$3" --per-seed \
        --fashion-mnist "$FASHION" --train-count $((TRAIN + 1000)) --validation-count 1000 --epochs "$EPOCHS" \
        --early-stopping '{"metric":"loss","patience":'"$PATIENCE"'}' --set 'training.learning_rate=0.002' --set 'training.batch_size=128' \
        --threads 1 --jobs "$JOBS" --split "$SPLIT" --work "$WORK/n$TRAIN-c_10_20_-h50-p$PATIENCE-e$EPOCHS" \
        --set 'inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]' \
        --set 'model.hidden=[50]' --arch-set 'mtan:model.hidden=null' --arch-set 'mtan:model.tower_hidden=[50]'
}
case "$STAGE" in
    A) one_model hps,mmoe,cgc,ple,cross-stitch,dselect-k,mtan ew "${SEEDS:-0,1,2}" ;;
    B) one_model "${ARCH:?STAGE=B needs ARCH, the architecture chosen in stage A}" "${WEIGHTINGS:-ew,upgrad,pcgrad,dwa,cagrad,famo}" "${SEEDS:-0,1,2}" ;;
    C) one_model "${ARCH:?STAGE=C needs ARCH}" "${WEIGHTINGS:?STAGE=C needs WEIGHTINGS}" "${SEEDS:-0,1,2,3,4,5,6,7,8,9}" ;;
    *) echo "STAGE must be A, B or C" >&2; exit 2 ;;
esac
