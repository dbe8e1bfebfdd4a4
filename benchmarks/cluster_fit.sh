#!/usr/bin/env bash
# Ridge over an Orleans cluster of 1, 2 and 3 silo processes on loopback, against the local fit (issue 21).
#
#   benchmarks/cluster_fit.sh [ROWS] [COLS]        defaults 300000 64
#
# Generates once (cached under $WORK/data, keyed by ROWS×COLS×SHARDS) $SHARDS float64 shards x<i>.npy, y<i>.npy of
# ROWS/SHARDS rows each (3 targets, y = X·B + noise, seed 21) and their concatenation x_all.npy, y_all.npy; makes a
# certificate (`mtl cluster certificate --out $WORK/cluster.pfx`); starts silo 1 (the primary), waits for its `ready`
# line, runs `mtl fit ridge --cluster ... --x x0.npy,x1.npy,... --y ... --certificate ...`, then starts silo 2, fits,
# starts silo 3, fits ($REPEAT fits per silo count). The clients list the gateways of every silo up. Also runs the
# local in-memory fit of x_all.npy. Prints a markdown table: per silo count the fit's own time (the CLI's "N s",
# connection excluded), the whole client process's wall time, the silos the fit reports, and the largest |Δ| between
# its model (coef_, intercept_ read from the .safetensors with numpy) and the local one (must be ≤ 1e-10).
# The silos are stopped on exit, whatever happens (trap: SIGTERM, then SIGKILL after 10 s).
#
# Environment:
#   MTL=/path/to/mtl.dll  the published CLI (default: $WORK/pub/mtl.dll, published there from this checkout with
#                         `dotnet publish src/MtlEngine.Cli -c Release -o $WORK/pub` when absent)
#   WORK=/tmp/mtl-cluster data, certificate, published CLI, models and logs (silo logs: $WORK/runs/silo<k>.log)
#   SHARDS=6              shard files (ROWS must be a multiple of SHARDS)
#   REPEAT=1              fits per silo count
#   PORT_BASE=random      silo k listens on PORT_BASE+k (silo port) and PORT_BASE+100+k (gateway), k = 1..3
#   READY_TIMEOUT=180     seconds a silo may take to print `ready`
#
# Needs /usr/bin/python3 with numpy and /usr/bin/time. Run it on an idle machine.
set -euo pipefail

case "${1:-}" in -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
ROWS=${1:-300000}
COLS=${2:-64}
SHARDS=${SHARDS:-6}
REPEAT=${REPEAT:-1}
WORK=${WORK:-/tmp/mtl-cluster}
PORT_BASE=${PORT_BASE:-$((20000 + RANDOM % 20000))}
READY_TIMEOUT=${READY_TIMEOUT:-180}
PY=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/.." && pwd)

[ -x /usr/bin/time ] || { echo "cluster_fit.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
$PY -c 'import numpy' 2>/dev/null || { echo "cluster_fit.sh: $PY has no numpy (apt-get install python3-numpy)" >&2; exit 1; }
[ $((ROWS % SHARDS)) -eq 0 ] || { echo "cluster_fit.sh: ROWS ($ROWS) must be a multiple of SHARDS ($SHARDS)" >&2; exit 1; }

mkdir -p "$WORK/data" "$WORK/runs"
WORK=$(cd "$WORK" && pwd)   # the silos read the shards at the same absolute paths
if [ -z "${MTL:-}" ]; then
    MTL=$WORK/pub/mtl.dll
    if [ ! -f "$MTL" ]; then
        echo "publishing the CLI into $WORK/pub ..." >&2
        dotnet publish "$REPO/src/MtlEngine.Cli" -c Release -o "$WORK/pub" >"$WORK/publish.log" 2>&1 \
            || { tail -20 "$WORK/publish.log" >&2; exit 1; }
    fi
fi
[ -f "$MTL" ] || { echo "cluster_fit.sh: MTL=$MTL does not exist" >&2; exit 1; }

DATA=$WORK/data/${ROWS}x${COLS}_s${SHARDS}
if [ ! -f "$DATA/done" ]; then
    echo "generating $SHARDS shards of $((ROWS / SHARDS)) x $COLS under $DATA ..." >&2
    mkdir -p "$DATA"
    $PY - "$DATA" "$ROWS" "$COLS" "$SHARDS" <<'EOF'
import sys, os
import numpy as np
from numpy.lib.format import open_memmap
out, n, d, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(21)
B = rng.standard_normal((d, 3))
m = n // shards
Xa = open_memmap(os.path.join(out, "x_all.npy"), mode="w+", dtype="<f8", shape=(n, d))
Ya = open_memmap(os.path.join(out, "y_all.npy"), mode="w+", dtype="<f8", shape=(n, 3))
for i in range(shards):
    x = rng.standard_normal((m, d))
    y = x @ B + 0.1 * rng.standard_normal((m, 3)) + np.array([1.0, -2.0, 0.5])
    np.save(os.path.join(out, "x%d.npy" % i), x)
    np.save(os.path.join(out, "y%d.npy" % i), y)
    Xa[i * m:(i + 1) * m] = x
    Ya[i * m:(i + 1) * m] = y
Xa.flush(); Ya.flush()
open(os.path.join(out, "done"), "w").close()
EOF
fi
xs=$(for i in $(seq 0 $((SHARDS - 1))); do printf '%s/x%d.npy,' "$DATA" "$i"; done); xs=${xs%,}
ys=$(for i in $(seq 0 $((SHARDS - 1))); do printf '%s/y%d.npy,' "$DATA" "$i"; done); ys=${ys%,}

CERT=$WORK/cluster.pfx
[ -f "$CERT" ] || dotnet "$MTL" cluster certificate --out "$CERT" >"$WORK/runs/certificate.log" 2>&1 \
    || { cat "$WORK/runs/certificate.log" >&2; exit 1; }

SILO_PIDS=()
stop_silos() {
    local pid
    for pid in "${SILO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SILO_PIDS[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SILO_PIDS=()
}
trap stop_silos EXIT
trap 'exit 130' INT TERM

# start_silo K: starts silo K (1 is the primary) and waits for its `ready` line.
start_silo() {
    local k=$1 log=$WORK/runs/silo$1.log
    local args=(cluster silo --silo-port $((PORT_BASE + k)) --gateway-port $((PORT_BASE + 100 + k)) --certificate "$CERT")
    [ "$k" -eq 1 ] || args+=(--primary "127.0.0.1:$((PORT_BASE + 1))")
    dotnet "$MTL" "${args[@]}" >"$log" 2>&1 &
    SILO_PIDS+=($!)
    local pid=$! waited=0
    until grep -q 'ready' "$log"; do
        if ! kill -0 "$pid" 2>/dev/null; then echo "cluster_fit.sh: silo $k exited:" >&2; cat "$log" >&2; exit 1; fi
        if [ "$waited" -ge $((READY_TIMEOUT * 10)) ]; then
            echo "cluster_fit.sh: silo $k not ready after $READY_TIMEOUT s:" >&2; cat "$log" >&2; exit 1
        fi
        sleep 0.1; waited=$((waited + 1))
    done
}

now() { date +%s.%N; }
# fit NAME ARGS...: one `mtl fit ridge` client; sets WALL (whole process), FIT_S (its own "N s") and SILOS_SEEN.
fit() {
    local name=$1; shift
    local log=$WORK/runs/$name.log t0 t1
    t0=$(now)
    dotnet "$MTL" fit ridge "$@" >"$log" 2>&1 || { echo "cluster_fit.sh: '$name' failed:" >&2; cat "$log" >&2; exit 1; }
    t1=$(now)
    WALL=$(echo "$t1 - $t0" | bc)
    FIT_S=$(grep -oE 'rounds?, [0-9.]+ s' "$log" | grep -oE '[0-9.]+ s' | grep -oE '[0-9.]+' || echo "-")
    SILOS_SEEN=$(grep -oE '^ +[0-9]+ silos?' "$log" | grep -oE '[0-9]+' || echo "-")
}
max_diff() {
    $PY "$REPO/benchmarks/safetensors_diff.py" "$1" "$2"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
avx512=$(grep -qm1 avx512f /proc/cpuinfo && echo yes || echo no)
printf '# ridge on an Orleans cluster: %s × %s float64, 3 targets, %s shards of %s rows, TLS, loopback\n\n' \
    "$ROWS" "$COLS" "$SHARDS" "$((ROWS / SHARDS))"
echo "CPU: $cpu ($(nproc) cores, AVX-512: $avx512); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

LOCAL=$WORK/runs/local.safetensors
fit local --x "$DATA/x_all.npy" --y "$DATA/y_all.npy" --save "$LOCAL"
local_wall=$WALL

rows=()
all_ok=yes
for k in 1 2 3; do
    start_silo "$k"
    gateways=$(for j in $(seq 1 "$k"); do printf '127.0.0.1:%d,' $((PORT_BASE + 100 + j)); done); gateways=${gateways%,}
    for r in $(seq 1 "$REPEAT"); do
        model=$WORK/runs/cluster_${k}_$r.safetensors
        fit "cluster_${k}_$r" --cluster "$gateways" --certificate "$CERT" --x "$xs" --y "$ys" --save "$model"
        d=$(max_diff "$model" "$LOCAL")
        ok=$(awk -v d="$d" 'BEGIN { print (d <= 1e-10) ? "yes" : "NO" }')
        [ "$ok" = yes ] || all_ok=no
        rows+=("$(printf '| %d | %s | %.2f | %s | %s (%s) |' "$k" "$FIT_S" "$WALL" "$SILOS_SEEN" "$d" "$ok")")
    done
done
stop_silos

echo "| silos up | fit's own s | client wall s | silos the fit used | max abs Δ from local (≤ 1e-10) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
printf '| local, in memory | - | %.2f | - | 0 |\n' "$local_wall"
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "- every cluster model equals the local one to 1e-10: $all_ok"
echo "- logs: $WORK/runs/ (silo<k>.log, cluster_<k>_<r>.log, local.log)"
[ "$all_ok" = yes ]
