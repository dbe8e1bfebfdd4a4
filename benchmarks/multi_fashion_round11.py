#!/usr/bin/env python3
"""Multi-Fashion, eleventh round (benchmarks/results/multi-fashion.md): the strategies on DSelect-k in round 10's chosen lever
(cos+acc), then a pre-registered test on 40 new seeds of the best DSelect-k row against HPS/EW.

Round 10's data, protocol, tuned widths and lever (cos+acc for every model) unchanged; the specs are round 10's
(multi_fashion_round10.spec_of), so its runs in WORK (cos+acc/) are reused where the spec is the same.

    stage G (seeds 0..4, validation): CAGrad, PCGrad, FAMO on DSelect-k (4 experts of [50], k = 2); "the best strategy" S* is
             the one of the highest mean validation Delta m% against the cos+acc single-task models (EW not a candidate;
             ties to the earlier of cagrad, pcgrad, famo); "the primary row" is DSelect-k/S* if its mean is above
             DSelect-k/EW's (round 10's runs), else DSelect-k/EW
    stage H (seeds 40..79, test): single-task left and right, HPS/EW, DSelect-k/EW, DSelect-k/S*, seed by seed; the verdict
             uses the seeds on which all five rows finished (the rule: benchmarks/results/multi-fashion.md, round 11)

Usage:
    benchmarks/multi_fashion_round11.py run --stage G        then  table --stage G
    benchmarks/multi_fashion_round11.py run --stage H --strategy dselect-k-X   then  table --stage H --strategy dselect-k-X [--split test]
Environment: MTL (the CLI; the round uses ca9b0c3's build, /tmp/fashion-mtl10), WORK (default /tmp/mf10), R9_WORK (default
/tmp/mf9), JOBS (default 2), STOP_AT (HH:MM UTC: runs not started by then are skipped).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtl_table  # noqa: E402
import multi_fashion_round10 as r10  # noqa: E402  (round 10's specs, levers, folders and helpers)

r9 = r10.r9
LEVER = "cos+acc"  # round 10's choice for every model
CHOICE = {"stl-left": LEVER, "stl-right": LEVER}
STAGE_G = ["dselect-k-cagrad", "dselect-k-pcgrad", "dselect-k-famo"]
for name in STAGE_G:
    r9.MODELS.setdefault(name, ("dselect-k", name.split("-")[-1], None))
    r10.TUNED.setdefault(name, "base")  # DSelect-k/EW's try: 4 experts of [50], k = 2
SEEDS_G = list(range(5))
SEEDS_H = list(range(40, 80))
TASKS = r10.TASKS


def finished(model, seed):
    return r10.finished(model, LEVER, seed)


def stage_jobs(stage, strategy):
    if stage == "G":
        return [(m, s) for m in STAGE_G for s in SEEDS_G]
    return [(m, s) for s in SEEDS_H for m in ("stl-left", "stl-right", "hps-ew", "dselect-k-ew", strategy)]


def run_stage(stage, strategy, jobs_at_once, stop_at):
    todo = [j for j in stage_jobs(stage, strategy) if finished(*j) is None]
    print(f"stage {stage}: {len(todo)} runs to do", file=sys.stderr, flush=True)

    def one(job):
        model, seed = job
        if stop_at and time.strftime("%H:%M", time.gmtime()) >= stop_at:
            print(f"{model}-{seed}: not started (past {stop_at} UTC)", file=sys.stderr, flush=True)
            return
        work = r10.folder(LEVER, model)
        os.makedirs(work, exist_ok=True)
        mtl_table.train(r10.spec_of(model, LEVER, seed), work, f"{model}-{seed}", 1)

    mtl_table.run_jobs(todo, one, jobs_at_once, lambda job: f"{job[0]}-{job[1]}")


def deltas(model, seeds, split):
    base = r10.stl(CHOICE, seeds, split)
    runs = [finished(model, s) for s in seeds]
    return runs, [mtl_table.delta_m({t: r10.acc(r, t, split) for t in TASKS}, {t: base[(t, s)] for t in TASKS}, "accuracy")
                  for r, s in zip(runs, seeds)]


def paired(x, y):
    diff = [a - b for a, b in zip(x, y)]
    t = statistics.mean(diff) / (statistics.stdev(diff) / len(diff) ** 0.5) if statistics.stdev(diff) > 0 else float("inf")
    return diff, t


def row(model, runs, ds, split):
    return (f"| {model} | {r9.ms([r10.acc(r, 'left', split) for r in runs])} | {r9.ms([r10.acc(r, 'right', split) for r in runs])} | "
            f"{r9.dms(ds)} | {sum(d > 0 for d in ds)} of {len(ds)} | {statistics.median(r['best_epoch'] for r in runs)} | "
            f"{statistics.median(r['seconds_per_epoch'] for r in runs):.2f} |")


def table_g():
    seeds = SEEDS_G
    print(f"Stage G (validation, seeds {seeds[0]}..{seeds[-1]}, {LEVER}): Δm% against the {LEVER} single-task models\n")
    print("| DSelect-k | left | right | Δm% | seeds > 0 | best epoch (median) | s/epoch (median) | Δm% per seed | paired − EW |")
    print("|---|---|---|---|---|---|---|---|---|")
    _, ew = deltas("dselect-k-ew", seeds, "validation")
    score = {}
    for model in ["dselect-k-ew"] + STAGE_G:
        if any(finished(model, s) is None for s in seeds):
            print(f"| {model} | incomplete | | | | | | | |")
            continue
        runs, ds = deltas(model, seeds, "validation")
        diff, _ = paired(ds, ew) if model != "dselect-k-ew" else ([0.0] * len(ds), 0)
        score[model] = statistics.mean(ds)
        print(row(model, runs, ds, "validation") + f" {r10.per_seed(ds)} | {r9.dms(diff)} ({sum(d > 0 for d in diff)} of {len(diff)}) |")
    candidates = [m for m in STAGE_G if m in score]
    if candidates:
        best = max(candidates, key=lambda m: (score[m], -STAGE_G.index(m)))
        primary = best if score[best] > score["dselect-k-ew"] else "dselect-k-ew"
        print(f"\nthe best strategy: {best} ({score[best]:+.2f}); the primary row: {primary}  ->  --strategy {best}")


def table_h(strategy, split):
    rows = ["hps-ew", "dselect-k-ew", strategy]
    seeds = [s for s in SEEDS_H if all(finished(m, s) for m in ["stl-left", "stl-right"] + rows)]
    if len(seeds) < 2:
        print("fewer than 2 complete seeds")
        return
    print(f"Stage H ({split}; {len(seeds)} complete seeds of {SEEDS_H[0]}..{SEEDS_H[-1]}: {', '.join(map(str, seeds))}); "
          f"Δm% against the {LEVER} single-task models (higher is better)\n")
    base = r10.stl(CHOICE, seeds, split)
    print("| model | left | right | Δm% | seeds > 0 | best epoch (median) | s/epoch (median) |")
    print("|---|---|---|---|---|---|---|")
    stl_runs = {t: [finished(f"stl-{t}", s) for s in seeds] for t in TASKS}
    print(f"| single-task | {r9.ms([base[('left', s)] for s in seeds])} | {r9.ms([base[('right', s)] for s in seeds])} | 0 | | "
          f"{statistics.median(r['best_epoch'] for r in stl_runs['left'])}; {statistics.median(r['best_epoch'] for r in stl_runs['right'])} | |")
    per_row = {}
    for model in rows:
        runs, ds = deltas(model, seeds, split)
        per_row[model] = ds
        print(row(model, runs, ds, split))
    print()
    for x, y in [(strategy, "hps-ew"), ("dselect-k-ew", "hps-ew"), (strategy, "dselect-k-ew")]:
        diff, t = paired(per_row[x], per_row[y])
        print(f"paired {x} − {y}: {r9.dms(diff)}, paired t {t:+.2f}, higher on {sum(d > 0 for d in diff)} of {len(seeds)} seeds")
    for model in rows:
        runs = [finished(model, s) for s in seeds]
        for task in TASKS:
            diff, t = paired([r10.acc(r, task, split) for r in runs], [base[(task, s)] for s in seeds])
            print(f"{model} − single-task, {task}: {statistics.mean(diff):+.4f} ± {statistics.stdev(diff):.4f}, paired t {t:+.2f}, "
                  f"higher on {sum(d > 0 for d in diff)} of {len(seeds)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "table"])
    parser.add_argument("--stage", choices=["G", "H"], required=True)
    parser.add_argument("--strategy", choices=STAGE_G, help="stage H: stage G's best strategy")
    parser.add_argument("--split", default="test", choices=["validation", "test"])
    args = parser.parse_args()
    if args.stage == "H" and not args.strategy:
        parser.error("stage H needs --strategy (stage G's choice)")
    if args.command == "run":
        run_stage(args.stage, args.strategy, int(os.environ.get("JOBS", "2")), os.environ.get("STOP_AT"))
    elif args.stage == "G":
        table_g()
    else:
        table_h(args.strategy, args.split)


if __name__ == "__main__":
    main()
