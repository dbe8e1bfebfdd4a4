#!/bin/bash
# Multi-Fashion, tenth round (benchmarks/results/multi-fashion.md): a learning-rate schedule (cosine) and early stopping on
# the mean validation accuracy, screened on 5 seeds for the single-task models, HPS/EW and DSelect-k/EW in round 9's tuned
# widths; the strategies on HPS; then 10 seeds. The levers, rules and tables: benchmarks/multi_fashion_round10.py (it reuses
# round 9's specs and, for the base lever, round 9's runs in R9_WORK).
#   STAGE=A benchmarks/multi_fashion_round10.sh                               # the screen (seeds 0..4), then its table and choice
#   STAGE=B CHOICE=stl-left=L,stl-right=L,hps-ew=L,dselect-k-ew=L benchmarks/multi_fashion_round10.sh   # strategies on HPS
#   STAGE=C CHOICE=...,hps-strategy=hps-X SPLIT=validation|test benchmarks/multi_fashion_round10.sh     # 10 seeds
#   STAGE=D SPLIT=validation|test benchmarks/multi_fashion_round10.sh         # the check: cosine over 60 epochs (+acc), seeds 0..4
# MTL: the CLI (the round used ca9b0c3's build, /tmp/fashion-mtl10).
set -e
cd "$(dirname "$0")/.."
export MTL=${MTL:-dotnet src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll}
export WORK=${WORK:-/tmp/mf10}
export R9_WORK=${R9_WORK:-/tmp/mf9}
export JOBS=${JOBS:-2}
STAGE=${STAGE:-A}
case "$STAGE" in
    A) benchmarks/multi_fashion_round10.py run --stage A
       benchmarks/multi_fashion_round10.py table --stage A ;;
    B) benchmarks/multi_fashion_round10.py run --stage B --choice "${CHOICE:?STAGE=B needs CHOICE, the stage-A choice}"
       benchmarks/multi_fashion_round10.py table --stage B --choice "$CHOICE" ;;
    C) benchmarks/multi_fashion_round10.py run --stage C --choice "${CHOICE:?STAGE=C needs CHOICE with hps-strategy=}"
       benchmarks/multi_fashion_round10.py table --stage C --choice "$CHOICE" --split "${SPLIT:-validation}" ;;
    D) benchmarks/multi_fashion_round10.py run --stage D
       benchmarks/multi_fashion_round10.py table --stage D --split "${SPLIT:-validation}" ;;
    *) echo "STAGE must be A, B, C or D" >&2; exit 2 ;;
esac
