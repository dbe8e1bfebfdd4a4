#!/usr/bin/env bash
# Emoji picture <-> name retrieval on held-out 80/20 splits (3 seeds): the contrastive shared space (CLIP's loss,
# ContrastiveAligner) against CCA and chance; prints one key=value line per method, seed and direction, then a
# mean +- std table of Recall@1, Recall@10 and the median rank.
#   benchmarks/retrieval_emoji.sh [SEEDS] [EPOCHS]
set -euo pipefail
seeds=${1:-3}
epochs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
dotnet run --no-build --project "$root/src/MtlEngine.Cli" -c Release -- bench retrieval --seeds "$seeds" --epochs "$epochs"
