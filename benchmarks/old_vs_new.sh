#!/usr/bin/env bash
# Old build against new build: every `mtl bench` line that both commits print, alternating runs, one table.
#
#   benchmarks/old_vs_new.sh OLD NEW
#
# OLD and NEW are commits (anything `git rev-parse` takes: 9fb2c72^, HEAD, a branch). Each is checked out in a
# temporary git worktree and published with `dotnet publish src/MtlEngine.Cli -c Release -o DIR` (DIR is kept under
# $WORK, keyed by the commit id, and reused by the next run). The workloads are the subcommands that `mtl bench --help`
# lists at both commits; gemm runs for f32 and f64. A workload that takes --threads runs on $THREADS threads and on 1,
# the others once. Every round runs each workload on both builds back to back, old first in odd rounds and new first
# in even ones, so drifting machine load falls on both alike. The table gives, per line (the name and the fields that
# say which problem it is), the median over the rounds of its time (seconds, inplace_seconds, us_per_step or
# us_fwd_bwd; gflops, marked ↑, for lines that only give a rate), and new/old: below 1 is faster, except ↑ rows, where
# above 1 is faster. Lines only one build prints are listed with '-' on the other side.
#
# Environment:
#   ROUNDS=3            rounds (alternating old/new)
#   THREADS=2           the threaded runs' --threads (1 is always run too where a workload takes --threads)
#   ONLY=ridge,text     only these workloads (default: every one both builds have)
#   ARGS_<workload>=... extra arguments for a workload on both builds, e.g. ARGS_retrieval="--seeds 1 --epochs 2"
#                       (an argument the old build does not know makes its run fail: the log says so)
#   WORK=/tmp/mtl-old-vs-new   published builds, raw outputs (WORK/runs/<old>_<new>/) and logs
#
# Build cost: two Release publishes (minutes each on a loaded machine; skipped when WORK already holds them).
# Run it on an idle machine: the default workloads take several minutes a round.
set -euo pipefail

if [ $# -ne 2 ]; then
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
ONLY=${ONLY:-}
WORK=${WORK:-/tmp/mtl-old-vs-new}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
old=$(git -C "$repo" rev-parse --verify "$1^{commit}")
new=$(git -C "$repo" rev-parse --verify "$2^{commit}")
mkdir -p "$WORK"

# publish COMMIT -> prints the folder holding the published mtl
publish() {
    local sha=$1 out="$WORK/build-$1"
    if [ ! -x "$out/mtl" ]; then
        local tree="$WORK/tree-$sha"
        git -C "$repo" worktree remove --force "$tree" 2> /dev/null || rm -rf "$tree"   # a left-over of an interrupted run
        git -C "$repo" worktree add --quiet --detach "$tree" "$sha" >&2
        if ! dotnet publish "$tree/src/MtlEngine.Cli" -c Release -o "$out.tmp" > "$WORK/publish-$sha.log" 2>&1; then
            echo "publish of $sha failed; see $WORK/publish-$sha.log" >&2
            git -C "$repo" worktree remove --force "$tree"
            exit 1
        fi
        git -C "$repo" worktree remove --force "$tree"
        rm -rf "$out" && mv "$out.tmp" "$out"
    fi
    echo "$out"
}

echo "publishing old ${old:0:10} and new ${new:0:10} (logs in $WORK)" >&2
old_dir=$(publish "$old")
new_dir=$(publish "$new")

# The workloads `mtl bench --help` lists under "Commands:".
workloads() { "$1/mtl" bench --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^[^ ]/ { on = 0 }'; }
common=$(comm -12 <(workloads "$old_dir" | sort) <(workloads "$new_dir" | sort))
if [ -n "$ONLY" ]; then
    common=$(comm -12 <(echo "$common") <(tr ',' '\n' <<< "$ONLY" | sort))
fi
[ -n "$common" ] || { echo "no workload in both builds (ONLY=$ONLY)" >&2; exit 1; }

# One job per line: a label (file name) and the arguments after `mtl bench`.
jobs=()
for w in $common; do
    takes() { "$old_dir/mtl" bench "$w" --help | grep -q -- "$1" && "$new_dir/mtl" bench "$w" --help | grep -q -- "$1"; }
    extra_var="ARGS_$w"
    extra=${!extra_var:-}
    variants=("")
    if takes --dtype; then variants=("--dtype f32" "--dtype f64"); fi
    for v in "${variants[@]}"; do
        if takes --threads; then
            for t in "$THREADS" 1; do
                jobs+=("$w${v:+_${v##* }}_t$t|$w $v --threads $t $extra")
            done
        else
            jobs+=("$w${v:+_${v##* }}|$w $v $extra")
        fi
    done
done

runs="$WORK/runs/${old:0:10}_${new:0:10}"
rm -rf "$runs" && mkdir -p "$runs"
echo "workloads: $(echo $common); $ROUNDS rounds; raw output in $runs" >&2
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
    order=(old new); ((r % 2 == 0)) && order=(new old)
    for job in "${jobs[@]}"; do
        label=${job%%|*} args=${job#*|}
        for side in "${order[@]}"; do
            dir=$old_dir; [ "$side" = new ] && dir=$new_dir
            echo "round $r/$ROUNDS $side: mtl bench $args" >&2
            # shellcheck disable=SC2086
            rc=0
            "$dir/mtl" bench $args > "$runs/$side.$label.r$r.txt" 2> "$runs/$side.$label.r$r.err" || rc=$?
            [ "$rc" -eq 0 ] || echo "  failed (exit $rc): see $runs/$side.$label.r$r.err" >&2
        done
    done
done

python3 - "$runs" "${old:0:10}" "${new:0:10}" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import glob, os, re, statistics, sys

runs, old_id, new_id, load_start, load_end = sys.argv[1:6]
TIMES = ["seconds", "inplace_seconds", "us_per_step", "us_fwd_bwd"]   # lower is better
RATES = ["gflops"]                                                       # higher is better (↑)
# Fields that say which problem a line is (not what was measured).
KEYS = ["dtype", "method", "direction", "seed", "m", "n", "d", "k", "nrhs", "classes", "targets", "docs", "steps", "batch", "threads", "device"]

values = {}   # (line, metric) -> side -> [value per round]
order = []
for path in sorted(glob.glob(os.path.join(runs, "*.txt")), key=lambda p: (int(re.search(r"\.r(\d+)\.txt$", p).group(1)), p)):
    side = os.path.basename(path).split(".")[0]
    for raw in open(path, encoding="utf-8"):
        fields = dict(f.split("=", 1) for f in raw.split() if "=" in f)
        if "name" not in fields:
            continue
        metric = next((m for m in TIMES + RATES if m in fields), None)
        if metric is None:
            continue
        try:
            value = float(fields[metric])
        except ValueError:
            continue
        line = " ".join([fields["name"]] + [f"{k}={fields[k]}" for k in KEYS if k in fields])
        key = (line, metric)
        if key not in values:
            values[key] = {"old": [], "new": []}
            order.append(key)
        values[key][side].append(value)

def med(xs):
    return statistics.median(xs) if xs else None

def show(x):
    return "-" if x is None else f"{x:.4g}"

rows = []
for line, metric in order:
    o, n = med(values[(line, metric)]["old"]), med(values[(line, metric)]["new"])
    ratio = f"{n / o:.3f}" if o and n is not None else "-"
    rows.append((line, metric + (" ↑" if metric in RATES else ""), show(o), show(n), ratio))

head = ("line", "metric", f"old {old_id}", f"new {new_id}", "new/old")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
fmt = "  ".join("{:<%d}" % widths[0] if i == 0 else ("{:<%d}" % widths[i] if i == 1 else "{:>%d}" % widths[i]) for i in range(5))
print(fmt.format(*head))
for r in rows:
    print(fmt.format(*r))
counts = {s: len(glob.glob(os.path.join(runs, f"{s}.*.txt"))) for s in ("old", "new")}
print(f"medians over the rounds; runs: old {counts['old']}, new {counts['new']}; time metrics: new/old < 1 is faster, ↑ (rates): > 1 is faster")
print(f"load average (1, 5, 15 min) at the start {load_start}, at the end {load_end}; {os.cpu_count()} processors")
EOF
