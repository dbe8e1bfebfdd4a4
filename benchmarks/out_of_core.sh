#!/usr/bin/env bash
# Out-of-core ridge against the in-memory fit of the same file (issue 21, "Benchmark and targets").
#
#   benchmarks/out_of_core.sh [ROWS] [COLS] [ROUNDS]        defaults 3400000 100 2
#
# Generates once (cached under $WORK/data, keyed by ROWS×COLS) a float64 X.npy of ROWS × COLS (the default is
# 2.53 GiB, 10× the 256 MB budget) and y.npy with 3 targets (y = X·B + noise, seed 21), written in row chunks through
# numpy's open_memmap so generation never holds X whole. Then, for ROUNDS rounds, runs
#   mtl fit ridge --x X --y Y --save M --threads 1 --memory-budget $BUDGET       (streamed)
#   mtl fit ridge --x X --y Y --save M --threads 1                                (in memory)
# alternately (streamed first in odd rounds, in-memory first in even ones, so drifting load falls on both alike),
# each under /usr/bin/time -v (peak RSS = "Maximum resident set size"), and times `cat X > /dev/null` before each
# round. Prints a markdown table: wall time, MiB/s of X, peak RSS, the fit's own reported time, the ratio
# streamed/in-memory per round, whether peak RSS ≤ budget + 200 MiB, and the largest difference between the two
# models' coef_ and intercept_ (read from the .safetensors files with numpy; must be ≤ 1e-10).
#
# Environment:
#   MTL=/path/to/mtl.dll  the published CLI (default: $WORK/pub/mtl.dll, published there from this checkout with
#                         `dotnet publish src/MtlEngine.Cli -c Release -o $WORK/pub` when absent)
#   WORK=/tmp/mtl-ooc     data, published CLI, models and logs
#   BUDGET=256MB          the streamed fit's --memory-budget (MB = 2^20 bytes)
#
# Needs /usr/bin/python3 with numpy, /usr/bin/time and ~2× the file size of free memory for the in-memory fit
# (it peaked at 7.7 GiB on the default size). Run it on an idle machine: at the default size a round takes a minute.
set -euo pipefail

case "${1:-}" in -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
ROWS=${1:-3400000}
COLS=${2:-100}
ROUNDS=${3:-2}
WORK=${WORK:-/tmp/mtl-ooc}
BUDGET=${BUDGET:-256MB}
PY=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/.." && pwd)

[ -x /usr/bin/time ] || { echo "out_of_core.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
$PY -c 'import numpy' 2>/dev/null || { echo "out_of_core.sh: $PY has no numpy (apt-get install python3-numpy)" >&2; exit 1; }
if [[ $BUDGET =~ ^([0-9]+)MB$ ]]; then budget_mib=${BASH_REMATCH[1]}
elif [[ $BUDGET =~ ^([0-9]+)GB$ ]]; then budget_mib=$((BASH_REMATCH[1] * 1024))
else echo "out_of_core.sh: BUDGET must look like 256MB or 2GB, not '$BUDGET'" >&2; exit 1; fi

mkdir -p "$WORK/data" "$WORK/runs"
if [ -z "${MTL:-}" ]; then
    MTL=$WORK/pub/mtl.dll
    if [ ! -f "$MTL" ]; then
        echo "publishing the CLI into $WORK/pub ..." >&2
        dotnet publish "$REPO/src/MtlEngine.Cli" -c Release -o "$WORK/pub" >"$WORK/publish.log" 2>&1 \
            || { tail -20 "$WORK/publish.log" >&2; exit 1; }
    fi
fi
[ -f "$MTL" ] || { echo "out_of_core.sh: MTL=$MTL does not exist" >&2; exit 1; }

X=$WORK/data/X_${ROWS}x${COLS}.npy
Y=$WORK/data/y_${ROWS}x${COLS}.npy
if [ ! -f "$X" ] || [ ! -f "$Y" ]; then
    echo "generating $X ($ROWS x $COLS float64) and $Y (3 targets) ..." >&2
    $PY - "$X" "$Y" "$ROWS" "$COLS" <<'EOF'
import sys, os
import numpy as np
from numpy.lib.format import open_memmap
xpath, ypath, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(21)
B = rng.standard_normal((d, 3))
X = open_memmap(xpath + ".tmp", mode="w+", dtype="<f8", shape=(n, d))
Y = open_memmap(ypath + ".tmp", mode="w+", dtype="<f8", shape=(n, 3))
chunk = 100000
for s in range(0, n, chunk):
    e = min(n, s + chunk)
    x = rng.standard_normal((e - s, d))
    X[s:e] = x
    Y[s:e] = x @ B + 0.1 * rng.standard_normal((e - s, 3)) + np.array([1.0, -2.0, 0.5])
X.flush(); Y.flush(); del X, Y
os.replace(xpath + ".tmp", xpath); os.replace(ypath + ".tmp", ypath)
EOF
fi
x_bytes=$(stat -c %s "$X")
x_mib=$(echo "scale=6; $x_bytes / 1048576" | bc)

now() { date +%s.%N; }
# run NAME ARGS...: the fit under /usr/bin/time -v; sets WALL, RSS_MIB and FIT_S (the fit's own "N s" line).
run_fit() {
    local name=$1; shift
    local log=$WORK/runs/$name.log tv=$WORK/runs/$name.time
    local t0 t1
    t0=$(now)
    /usr/bin/time -v -o "$tv" dotnet "$MTL" fit ridge "$@" >"$log" 2>&1 \
        || { echo "out_of_core.sh: '$name' failed:" >&2; cat "$log" >&2; exit 1; }
    t1=$(now)
    WALL=$(echo "$t1 - $t0" | bc)
    RSS_MIB=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tv")
    FIT_S=$(grep -oE '[0-9.]+ s, ' "$log" | head -1 | grep -oE '^[0-9.]+' || echo "-")
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
avx512=$(grep -qm1 avx512f /proc/cpuinfo && echo yes || echo no)
printf '# out-of-core ridge: %s × %s float64 (%.1f MiB), 3 targets, --memory-budget %s, --threads 1\n\n' \
    "$ROWS" "$COLS" "$x_mib" "$BUDGET"
echo "CPU: $cpu ($(nproc) cores, AVX-512: $avx512); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| round | run | wall s | MiB/s of X | peak RSS MiB | fit's own s | streamed / in-memory |"
echo "|---|---|---|---|---|---|---|"

rss_ok=yes
max_rss_streamed=0
common=(--x "$X" --y "$Y" --threads 1)
for r in $(seq 1 "$ROUNDS"); do
    t0=$(now); cat "$X" >/dev/null; t1=$(now)
    cat_s=$(echo "$t1 - $t0" | bc)
    printf '| %d | cat X > /dev/null | %.3f | %.0f | - | - | - |\n' "$r" "$cat_s" "$(echo "$x_mib / $cat_s" | bc -l)"
    if [ $((r % 2)) -eq 1 ]; then order="streamed memory"; else order="memory streamed"; fi
    for kind in $order; do
        if [ "$kind" = streamed ]; then
            run_fit "streamed_$r" "${common[@]}" --memory-budget "$BUDGET" --save "$WORK/runs/streamed.safetensors"
            s_wall=$WALL; s_rss=$RSS_MIB; s_fit=$FIT_S
            [ "$s_rss" -gt "$max_rss_streamed" ] && max_rss_streamed=$s_rss
            [ "$s_rss" -le $((budget_mib + 200)) ] || rss_ok=no
        else
            run_fit "memory_$r" "${common[@]}" --save "$WORK/runs/memory.safetensors"
            m_wall=$WALL; m_rss=$RSS_MIB; m_fit=$FIT_S
        fi
    done
    ratio=$(echo "$s_wall / $m_wall" | bc -l)
    printf '| %d | --memory-budget %s | %.2f | %.0f | %s | %s | %.2f |\n' \
        "$r" "$BUDGET" "$s_wall" "$(echo "$x_mib / $s_wall" | bc -l)" "$s_rss" "$s_fit" "$ratio"
    printf '| %d | in memory | %.2f | %.0f | %s | %s | |\n' \
        "$r" "$m_wall" "$(echo "$x_mib / $m_wall" | bc -l)" "$m_rss" "$m_fit"
done

diff=$($PY "$REPO/benchmarks/safetensors_diff.py" "$WORK/runs/streamed.safetensors" "$WORK/runs/memory.safetensors")
agree=$(awk -v d="$diff" 'BEGIN { print (d <= 1e-10) ? "yes" : "NO" }')
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "- streamed peak RSS ≤ budget + 200 MiB ($((budget_mib + 200)) MiB): $rss_ok (largest $max_rss_streamed MiB)"
echo "- models agree (max |Δ| over coef_ and intercept_ = $diff ≤ 1e-10): $agree"
echo "- logs: $WORK/runs/"
[ "$rss_ok" = yes ] && [ "$agree" = yes ]
