#!/usr/bin/env python3
"""Multi-Fashion, tenth round (benchmarks/results/multi-fashion.md): a learning-rate schedule and early stopping on the mean
validation accuracy, tried the same way for the single-task models and HPS/EW, then the strategies on HPS, then 10 seeds.

Round 9's data, protocol and tuned models unchanged (4,000 training pictures, 1,000 validation pictures from items
4,000..4,999, the published 10,000 test pictures; CNN [10, 20] flatten; Adam 0.002, batch 128, at most 60 epochs, patience
10, the best epoch restored; single-task left width [100], right [25], HPS [100]); the specs are round 9's
(multi_fashion_round9.spec_of of the tuned try) with one lever added:

    base     round 9's (early stopping on the summed validation loss, a constant rate): round 9's runs, reused
    acc      training.early_stopping.metric "accuracy" (the mean of the model's tasks' validation accuracies)
    cos      training.lr_schedule cosine, 2 warm-up epochs, min_lr 0, over training.epochs 30
    cos+acc  both

    stage A (seeds 0..4, validation): every lever for stl-left, stl-right, hps-ew; each single-task model takes the lever of
             its highest mean validation accuracy, HPS/EW the lever of its highest mean validation Delta m% against them
    stage B (seeds 0..4, validation): PCGrad, UPGrad on HPS in HPS/EW's lever; the higher mean validation Delta m% is "the
             best strategy"
    stage C (seeds 0..9): the chosen single-task models, HPS/EW and the best strategy; validation, then test

Usage:
    benchmarks/multi_fashion_round10.py run --stage A             then  table --stage A
    benchmarks/multi_fashion_round10.py run --stage B --choice stl-left=L,stl-right=L,hps-ew=L   then  table --stage B --choice ...
    benchmarks/multi_fashion_round10.py run --stage C --choice ...,hps-strategy=hps-X   then  table --stage C --choice ... --split validation|test
Environment: MTL (the CLI), WORK (default /tmp/mf10: a folder per lever), R9_WORK (default /tmp/mf9: round 9's data and runs,
reused for the base lever), JOBS (default 2).
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtl_table  # noqa: E402
import multi_fashion_round9 as r9  # noqa: E402  (round 9's specs, data folder and table helpers)

r9.WORK = os.environ.get("R9_WORK", "/tmp/mf9")
WORK = os.environ.get("WORK", "/tmp/mf10")
TASKS = r9.TASKS
ACC = {"training.early_stopping": {"metric": "accuracy", "patience": 10}}
COS = {"training.lr_schedule": {"kind": "cosine", "warmup_epochs": 2, "min_lr": 0}, "training.epochs": 30}
LEVERS = {"base": {}, "acc": ACC, "cos": COS, "cos+acc": {**COS, **ACC},
          # stage D (an amendment after stage C's validation table, before its test table): the cosine over round 9's 60 epochs
          "cos60+acc": {"training.lr_schedule": {"kind": "cosine", "warmup_epochs": 2, "min_lr": 0}, **ACC}}
STAGE_A = ["acc", "cos", "cos+acc"]  # base is round 9's runs; the order of the runs (the last lever is cut first)
# model -> round 9's tuned try (its width); the strategies on HPS take HPS/EW's
TUNED = {"stl-left": "h100", "stl-right": "h25", "hps-ew": "h100", "dselect-k-ew": "base",
         "hps-pcgrad": "h100", "hps-upgrad": "h100", "hps-famo": "h100"}
r9.MODELS.setdefault("hps-upgrad", ("hps", "upgrad", None))
r9.MODELS.setdefault("hps-famo", ("hps", "famo", None))
STAGE_B = ["hps-pcgrad", "hps-upgrad", "hps-famo"]
MULTI = ["hps-ew", "dselect-k-ew"]  # the multi-task models of stage A, each choosing its own lever
SEEDS_A = list(range(5))
SEEDS_C = list(range(int(os.environ.get("SEEDS_C_FIRST", "0")), int(os.environ.get("SEEDS_C_FIRST", "0")) + int(os.environ.get("SEEDS_C_COUNT", "10"))))
# stage E: SEEDS_C_COUNT=20 (seeds 0..19); stage F: SEEDS_C_FIRST=20 SEEDS_C_COUNT=20 (seeds 20..39), without hps-strategy


def spec_of(model, lever, seed):
    spec = r9.spec_of(model, TUNED[model], seed)
    for key, value in LEVERS[lever].items():
        mtl_table.assign(spec, key, json.loads(json.dumps(value)))
    return spec


def folder(lever, model):
    # base: round 9's run of the same spec (same data, same tuned try), reused when the spec is the same
    return os.path.join(r9.WORK, TUNED[model]) if lever == "base" else os.path.join(WORK, lever)


def finished(model, lever, seed):
    return mtl_table.finished(spec_of(model, lever, seed), folder(lever, model), f"{model}-{seed}")


def stage_jobs(stage, choice):
    jobs = []
    if stage == "A":
        for lever in STAGE_A:
            for seed in SEEDS_A:
                for model in ("stl-left", "stl-right", "hps-ew"):
                    jobs.append((model, lever, seed))
        for lever in STAGE_A:  # DSelect-k/EW last (a check beside the EW/HPS; cut first)
            for seed in SEEDS_A:
                jobs.append(("dselect-k-ew", lever, seed))
    elif stage == "D":  # the longer cosine, seeds 0..4, chooses nothing
        for seed in SEEDS_A:
            for model in ("stl-left", "stl-right", "hps-ew"):
                jobs.append((model, "cos60+acc", seed))
    elif stage == "B":
        for model in STAGE_B:
            for seed in SEEDS_A:
                jobs.append((model, choice["hps-ew"], seed))
    else:
        strategy = (choice["hps-strategy"],) if "hps-strategy" in choice else ()
        for model in ("stl-left", "stl-right", "hps-ew") + strategy + (("dselect-k-ew",) if "dselect-k-ew" in choice else ()):
            lever = choice["hps-ew"] if model.startswith("hps-") else choice[model]
            for seed in SEEDS_C:
                jobs.append((model, lever, seed))
    return jobs


def run_stage(stage, choice, jobs_at_once):
    todo = [j for j in stage_jobs(stage, choice) if finished(*j) is None]
    print(f"stage {stage}: {len(todo)} runs to do", file=sys.stderr, flush=True)

    def one(job):
        model, lever, seed = job
        work = folder(lever, model)
        os.makedirs(work, exist_ok=True)
        mtl_table.train(spec_of(model, lever, seed), work, f"{model}-{seed}", 1)

    mtl_table.run_jobs(todo, one, jobs_at_once, lambda job: f"{job[1]}/{job[0]}-{job[2]}")


acc = r9.metric  # a task's accuracy in a run's metrics.json


def stl(choice, seeds, split):
    out = {}
    for task in TASKS:
        for seed in seeds:
            m = finished(f"stl-{task}", choice[f"stl-{task}"], seed)
            if m is None:
                return None
            out[(task, seed)] = acc(m, task, split)
    return out


def deltas(model, lever, seeds, split, base):
    runs = [finished(model, lever, s) for s in seeds]
    if any(r is None for r in runs):
        return None, None
    return runs, [mtl_table.delta_m({t: acc(r, t, split) for t in TASKS}, {t: base[(t, s)] for t in TASKS}, "accuracy")
                  for r, s in zip(runs, seeds)]


def per_seed(xs):
    return ", ".join(f"{d:+.2f}" for d in xs)


def table_a(split="validation"):
    """Stage A's table and choice (validation); with --split test (stage D's check), the same table on test, choosing nothing."""
    seeds = SEEDS_A
    levers = [lv for lv in LEVERS if all(finished(m, lv, s) for m in ("stl-left", "stl-right", "hps-ew") for s in seeds)]
    print(f"Stage A ({split}, seeds {seeds[0]}..{seeds[-1]}); complete levers: {', '.join(levers)}\n")
    if split != "validation" or "cos60+acc" in levers:
        print("(stage D's check: the 'chosen' lines below are not the round's choice, which is stage A's, over base, acc, cos, cos+acc on validation)\n")
    print("| lever | single-task left | single-task right | best epochs left | best epochs right |")
    print("|---|---|---|---|---|")
    choice, means = {}, {}
    for lv in levers:
        left = [acc(finished("stl-left", lv, s), "left", split) for s in seeds]
        right = [acc(finished("stl-right", lv, s), "right", split) for s in seeds]
        means[lv] = (statistics.mean(left), statistics.mean(right))
        be = lambda model: ", ".join(str(finished(model, lv, s)["best_epoch"]) for s in seeds)
        print(f"| {lv} | {r9.ms(left)} | {r9.ms(right)} | {be('stl-left')} | {be('stl-right')} |")
    order = list(LEVERS)
    for i, task in enumerate(TASKS):
        choice[f"stl-{task}"] = max(levers, key=lambda lv: (means[lv][i], -order.index(lv)))
    print(f"\nchosen: stl-left = {choice['stl-left']}, stl-right = {choice['stl-right']}\n")
    base = stl(choice, seeds, split)
    for model in MULTI:
        rows = [lv for lv in levers if all(finished(model, lv, s) for s in seeds)]
        if len(rows) < len(levers):
            print(f"{model}: incomplete ({len(rows)} of {len(levers)} levers), left out\n")
            continue
        print(f"| {model} lever | left | right | Δm% vs chosen single-task | Δm% per seed | best epochs | epochs run |")
        print("|---|---|---|---|---|---|---|")
        score = {}
        for lv in rows:
            runs, ds = deltas(model, lv, seeds, split, base)
            score[lv] = statistics.mean(ds)
            print(f"| {lv} | {r9.ms([acc(r, 'left', split) for r in runs])} | {r9.ms([acc(r, 'right', split) for r in runs])} | "
                  f"{r9.dms(ds)} | {per_seed(ds)} | {', '.join(str(r['best_epoch']) for r in runs)} | {', '.join(str(r['epochs_run']) for r in runs)} |")
        choice[model] = max(rows, key=lambda lv: (score[lv], -order.index(lv)))
        print(f"\nchosen: {model} = {choice[model]}\n")
    print("--choice " + ",".join(f"{k}={v}" for k, v in choice.items()))


def table_b(choice):
    seeds = SEEDS_A
    base = stl(choice, seeds, "validation")
    lever = choice["hps-ew"]
    print(f"Stage B (validation, seeds {seeds[0]}..{seeds[-1]}): strategies on HPS, lever {lever}; Δm% against the chosen single-task models\n")
    print("| HPS | left | right | Δm% | Δm% per seed | paired − EW | best epochs | s/epoch |")
    print("|---|---|---|---|---|---|---|---|")
    _, ew = deltas("hps-ew", lever, seeds, "validation", base)
    score = {}
    for model in ["hps-ew"] + STAGE_B:
        runs, ds = deltas(model, lever, seeds, "validation", base)
        if runs is None:
            print(f"| {model} | incomplete | | | | | | |")
            continue
        if model != "hps-ew":
            score[model] = statistics.mean(ds)
        diff = [a - b for a, b in zip(ds, ew)]
        print(f"| {model} | {r9.ms([acc(r, 'left', 'validation') for r in runs])} | {r9.ms([acc(r, 'right', 'validation') for r in runs])} | "
              f"{r9.dms(ds)} | {per_seed(ds)} | {r9.dms(diff)} ({sum(d > 0 for d in diff)} of {len(diff)}) | "
              f"{', '.join(str(r['best_epoch']) for r in runs)} | {statistics.median(r['seconds_per_epoch'] for r in runs):.2f} |")
    if score:
        best = max(score, key=lambda m: (score[m], -STAGE_B.index(m)))
        print(f"\nchosen (the strategy of the highest mean validation Δm%): hps-strategy={best}")


def table_c(choice, split):
    seeds = SEEDS_C
    base = stl(choice, seeds, split)
    if base is None:
        print("the chosen single-task models are incomplete")
        return
    r9_choice = {"stl-left": "base", "stl-right": "base"}
    base9 = stl(r9_choice, seeds, split)
    print(f"Stage C ({split}, seeds {seeds[0]}..{seeds[-1]}); Δm% against the chosen single-task models (left: {choice['stl-left']}, right: {choice['stl-right']})\n")
    print(f"| model | lever | left | right | Δm% | seeds > 0 | Δm% per seed ({seeds[0]}–{seeds[-1]}) | Δm% vs round 9's single-task | best epoch (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    dm9 = [mtl_table.delta_m({t: base[(t, s)] for t in TASKS}, {t: base9[(t, s)] for t in TASKS}, "accuracy") for s in seeds] if base9 else None
    print(f"| single-task | {choice['stl-left']}; {choice['stl-right']} | {r9.ms([base[('left', s)] for s in seeds])} | "
          f"{r9.ms([base[('right', s)] for s in seeds])} | 0 | | | {r9.dms(dm9) if dm9 else ''} | "
          f"{statistics.median(finished('stl-left', choice['stl-left'], s)['best_epoch'] for s in seeds)}; "
          f"{statistics.median(finished('stl-right', choice['stl-right'], s)['best_epoch'] for s in seeds)} |")
    rows = [("hps-ew", choice["hps-ew"])]
    if "hps-strategy" in choice:
        rows.append((choice["hps-strategy"], choice["hps-ew"]))
    if "dselect-k-ew" in choice:
        rows.append(("dselect-k-ew", choice["dselect-k-ew"]))
    for extra in [("hps-ew", "base"), ("hps-pcgrad", "base")]:
        if extra not in rows:
            rows.append(extra)
    if choice["stl-left"] != "base" or choice["stl-right"] != "base":
        rows.append(("single-task, round 9", "base"))
    per_row = {}
    for model, lever in rows:
        if model.startswith("single-task"):
            if base9 is None:
                continue
            vals = [{t: base9[(t, s)] for t in TASKS} for s in seeds]
            epochs = ""
        else:
            runs = [finished(model, lever, s) for s in seeds]
            if any(r is None for r in runs):
                print(f"| {model} | {lever} | incomplete ({sum(r is not None for r in runs)} of {len(seeds)}) | | | | | | |")
                continue
            vals = [{t: acc(r, t, split) for t in TASKS} for r in runs]
            epochs = statistics.median(r["best_epoch"] for r in runs)
        ds = [mtl_table.delta_m(v, {t: base[(t, s)] for t in TASKS}, "accuracy") for v, s in zip(vals, seeds)]
        d9 = [mtl_table.delta_m(v, {t: base9[(t, s)] for t in TASKS}, "accuracy") for v, s in zip(vals, seeds)] if base9 else None
        per_row[(model, lever)] = ds
        print(f"| {model} | {lever} | {r9.ms([v['left'] for v in vals])} | {r9.ms([v['right'] for v in vals])} | {r9.dms(ds)} | "
              f"{sum(d > 0 for d in ds)} of {len(seeds)} | {per_seed(ds)} | {r9.dms(d9) if d9 else ''} | {epochs} |")
    pairs = []
    if "hps-strategy" in choice:
        pairs.append(((choice["hps-strategy"], choice["hps-ew"]), ("hps-ew", choice["hps-ew"])))
    if choice["hps-ew"] != "base":
        pairs += [(("hps-ew", choice["hps-ew"]), ("hps-ew", "base"))]
        if "hps-strategy" in choice:
            pairs += [((choice["hps-strategy"], choice["hps-ew"]), ("hps-pcgrad", "base"))]
    if "dselect-k-ew" in choice:
        pairs.append((("dselect-k-ew", choice["dselect-k-ew"]), ("hps-ew", choice["hps-ew"])))
    for x, y in pairs:
        if x in per_row and y in per_row:
            diff = [p - q for p, q in zip(per_row[x], per_row[y])]
            print(f"\npaired {x[0]} ({x[1]}) − {y[0]} ({y[1]}): {r9.dms(diff)}, paired t {statistics.mean(diff) / (statistics.stdev(diff) / len(diff) ** 0.5):+.2f}, higher on {sum(d > 0 for d in diff)} of {len(seeds)} seeds")
    # per task: each multi-task row against the single-task models, paired per seed
    for (model, lever), _ in per_row.items():
        if model.startswith("single-task"):
            continue
        runs = [finished(model, lever, s) for s in seeds]
        for t in TASKS:
            diff = [acc(r, t, split) - base[(t, s)] for r, s in zip(runs, seeds)]
            print(f"{model} ({lever}) − single-task, {t}: {statistics.mean(diff):+.4f} ± {statistics.stdev(diff):.4f}, higher on {sum(d > 0 for d in diff)} of {len(seeds)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "table"])
    parser.add_argument("--stage", choices=["A", "B", "C", "D"], required=True)
    parser.add_argument("--choice", default="", help="model=lever,... (stages B, C), hps-strategy=hps-X (stage C)")
    parser.add_argument("--split", default="validation", choices=["validation", "test"])
    args = parser.parse_args()
    choice = dict(item.split("=", 1) for item in args.choice.split(",") if item)
    for model, value in choice.items():
        if model == "hps-strategy":
            if value not in STAGE_B:
                parser.error(f"--choice hps-strategy={value}: one of {', '.join(STAGE_B)}")
        elif model not in ("stl-left", "stl-right") + tuple(MULTI) or value not in LEVERS:
            parser.error(f"--choice {model}={value}: unknown model or lever")
    need = {"A": (), "D": (), "B": ("stl-left", "stl-right", "hps-ew"), "C": ("stl-left", "stl-right", "hps-ew")}[args.stage]
    for model in need:
        if model not in choice:
            parser.error(f"stage {args.stage} needs --choice {model}=LEVER")
    if args.command == "run":
        run_stage(args.stage, choice, int(os.environ.get("JOBS", "2")))
    elif args.stage in ("A", "D"):
        table_a(args.split)
    elif args.stage == "B":
        table_b(choice)
    else:
        table_c(choice, args.split)


if __name__ == "__main__":
    main()
