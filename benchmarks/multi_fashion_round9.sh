#!/bin/bash
# Multi-Fashion, ninth round (benchmarks/results/multi-fashion.md): regularization (dropout, AdamW weight decay, a smaller
# learning rate) tuned on validation with the same six tries for the single-task baselines and the multi-task models
# (DSelect-k/EW, HPS/EW), then the tuned models and DSelect-k/CAGrad on 10 seeds. Round 8's data and protocol otherwise
# (4,000 training pictures, 1,000 validation pictures from items 4,000..4,999, the 10,000 test pictures; CNN [10, 20]
# flatten, width 50; batch 128, at most 60 epochs, early stopping on the summed validation loss, patience 10, the best
# epoch restored; 1 thread per run, 2 runs at once). The grid, the rules and the tables: benchmarks/multi_fashion_round9.py.
#   STAGE=A benchmarks/multi_fashion_round9.sh                      # the screen (seeds 0..2), then its validation table
#   STAGE=B benchmarks/multi_fashion_round9.sh                      # two more tries (width 25, 100), then the table of all
#   STAGE=C CHOICE=stl-left=C,stl-right=C,dselect-k-ew=C,hps-ew=C SPLIT=validation|test benchmarks/multi_fashion_round9.sh
#   STAGE=D CHOICE=... benchmarks/multi_fashion_round9.sh            # CAGrad, PCGrad on HPS in HPS/EW's try, seeds 0..2
#   STAGE=E CHOICE=...,hps-strategy=hps-X benchmarks/multi_fashion_round9.sh   # stage D's choice, seeds 3..9 (then STAGE=C
#       with the same CHOICE tables it beside the others)
# WORK (default /tmp/mf9) holds a folder per configuration; WORK/base may hold round 8's runs (cp the stl-*, dselect-k-*,
# hps-ew-* specs and their folders' metrics.json from /tmp/mf8/n4000-c_10_20_-h50-p10-e60, rewriting that path to
# WORK/base/ in the specs, and its data/ folder): they are reused, otherwise rerun (same specs, same seeds).
# MTL: the CLI (the round used 297812f's build, /tmp/fashion-mtl7, as rounds 7 and 8, so that round 8's runs are the same code).
set -e
cd "$(dirname "$0")/.."
export FASHION=${FASHION:-../shared/datasets/fashion-mnist}
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
export WORK=${WORK:-/tmp/mf9}
export JOBS=${JOBS:-2}
STAGE=${STAGE:-A}
case "$STAGE" in
    A) benchmarks/multi_fashion_round9.py run --stage A
       benchmarks/multi_fashion_round9.py table --stage A ;;
    B) benchmarks/multi_fashion_round9.py run --stage B
       benchmarks/multi_fashion_round9.py table --stage A ;;
    C) benchmarks/multi_fashion_round9.py run --stage C --choice "${CHOICE:?STAGE=C needs CHOICE, the stage-A choice}"
       benchmarks/multi_fashion_round9.py table --stage C --choice "$CHOICE" --split "${SPLIT:-validation}" ;;
    D) benchmarks/multi_fashion_round9.py run --stage D --choice "${CHOICE:?STAGE=D needs CHOICE}"
       benchmarks/multi_fashion_round9.py table --stage D --choice "$CHOICE" ;;
    E) benchmarks/multi_fashion_round9.py run --stage E --choice "${CHOICE:?STAGE=E needs CHOICE, with hps-strategy=}" ;;
    *) echo "STAGE must be A, B, C, D or E" >&2; exit 2 ;;
esac
