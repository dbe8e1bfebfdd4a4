#!/usr/bin/env python3
"""Multi-Fashion, ninth round (benchmarks/results/multi-fashion.md): regularization tuned on validation with the same
budget of tries for the single-task baselines and for the multi-task models, then 10 seeds of the tuned models.

Round 8's data and protocol unchanged (4,000 training pictures, 1,000 validation pictures from items 4,000..4,999, the
published 10,000 test pictures; CNN [10, 20] flatten, width 50; Adam, batch 128, at most 60 epochs, early stopping on the
summed validation loss, patience 10, the best epoch restored). A configuration changes only the regularization keys the
CLI already has (model.dropout, training.optimizer, training.weight_decay, training.learning_rate); every model (each
single-task model, DSelect-k/EW, HPS/EW) gets the same configurations, seeds 0..2, and is tuned on validation only:

    stage A (the screen):  every model x every configuration, seeds 0..2, validation (stage B: two more configurations,
                           the width of the trunks and experts, 25 and 100, for every model; the choice is over all)
        each single-task model: the configuration of the highest mean validation accuracy (its own task)
        each multi-task model: the configuration of the highest mean validation Delta m% against the tuned single-task models
    stage C (10 seeds): the tuned models, seeds 0..9, and DSelect-k/CAGrad in DSelect-k/EW's configuration
    stage D (validation, seeds 0..2): CAGrad and PCGrad on HPS in HPS/EW's tuned configuration; stage E: the better, seeds 3..9

Usage (the work folder holds one folder per configuration; base/ holds round 8's runs with their paths rewritten):
    benchmarks/multi_fashion_round9.py run --stage A            # the screen's runs (reused when finished)
    benchmarks/multi_fashion_round9.py run --stage B            # two more tries (width 25, 100), every model
    benchmarks/multi_fashion_round9.py table --stage A          # the validation table and the choice (over stages A and B)
    benchmarks/multi_fashion_round9.py run --stage C --choice stl-left=CFG,stl-right=CFG,dselect-k-ew=CFG,hps-ew=CFG
    benchmarks/multi_fashion_round9.py table --stage C --choice ... --split validation|test
Environment: MTL (the CLI command), FASHION (the Fashion-MNIST folder), WORK (default /tmp/mf9), JOBS (default 2).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtl_table  # noqa: E402  (train, variant, assign, delta_m: the same specs and reuse rule as round 8's grids)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ.get("WORK", "/tmp/mf9")
FASHION = os.environ.get("FASHION", os.path.join(ROOT, "../shared/datasets/fashion-mnist"))
TASKS = ["left", "right"]

# The tries, the same for every model; "base" is round 8's configuration (its runs reused).
CONFIGS = {
    "base": {},
    "drop0.2": {"model.dropout": 0.2},
    "adamw0.1": {"training.optimizer": "adamw", "training.weight_decay": 0.1},
    "drop0.5": {"model.dropout": 0.5},
    "adamw1": {"training.optimizer": "adamw", "training.weight_decay": 1.0},
    "lr0.001": {"training.learning_rate": 0.001},
    # stage B (planned after stage A's runs, before its choice): capacity, the width of the single-task and HPS trunk and
    # of every DSelect-k expert
    "h25": {"model.hidden": [25]},
    "h100": {"model.hidden": [100]},
}
STAGE_A = ["drop0.2", "adamw0.1", "drop0.5", "adamw1", "lr0.001"]
STAGE_B = ["h25", "h100"]
ROUND8_SETS = {  # multi_fashion_round8.sh's --set keys, in its order
    "inputs": [{"name": "picture", "type": "image", "path": "pictures.npy",
                "encoder": {"type": "cnn", "channels": [10, 20], "readout": "flatten"}}],
    "model.hidden": [50],
    "training.learning_rate": 0.002,
    "training.batch_size": 128,
}
EARLY_STOPPING = {"metric": "loss", "patience": 10}
EPOCHS = 60
# model name -> (architecture, weighting, tasks or None)
MODELS = {
    "stl-left": ("hps", "ew", ["left"]),
    "stl-right": ("hps", "ew", ["right"]),
    "dselect-k-ew": ("dselect-k", "ew", None),
    "hps-ew": ("hps", "ew", None),
    "dselect-k-cagrad": ("dselect-k", "cagrad", None),
    # stage D (planned after stage A/B's choice): strategies on HPS in HPS/EW's tuned try
    "hps-cagrad": ("hps", "cagrad", None),
    "hps-pcgrad": ("hps", "pcgrad", None),
}
STAGE_D = ["hps-cagrad", "hps-pcgrad"]


def data_folder():
    data = os.path.join(WORK, "base", "data")
    if not os.path.exists(os.path.join(data, "spec.json")):
        os.makedirs(os.path.join(WORK, "base"), exist_ok=True)
        mtl_table.run(["example", "multi-fashion", "--out", data, "--fashion-mnist", os.path.abspath(FASHION),
                       "--train-count", "5000", "--validation-count", "1000"])
    return data


def spec_of(model, config, seed):
    data = data_folder()
    with open(os.path.join(data, "spec.json")) as f:
        base = json.load(f)
    for key, value in ROUND8_SETS.items():
        mtl_table.assign(base, key, json.loads(json.dumps(value)))
    for key, value in CONFIGS[config].items():
        mtl_table.assign(base, key, value)
    for entry in base["inputs"] + base["tasks"]:
        entry["path"] = os.path.join(data, entry["path"])
    for key in ("test", "validation"):
        if isinstance(base.get("split", {}).get(key), str):
            base["split"][key] = os.path.join(data, base["split"][key])
    architecture, weighting, tasks = MODELS[model]
    return mtl_table.variant(base, architecture, weighting, seed, EPOCHS, tasks=tasks, early_stopping=EARLY_STOPPING)


def run_name(model, seed):
    return f"{model}-{seed}"


def finished(model, config, seed):
    """The run's metrics.json (and best epoch) when it exists with the same spec, else None."""
    return mtl_table.finished(spec_of(model, config, seed), os.path.join(WORK, config), run_name(model, seed))


def stage_jobs(stage, choice):
    """The stage's runs, in the plan's order (model, config, seed)."""
    jobs = []
    if stage in ("A", "B"):
        screen = STAGE_A if stage == "A" else STAGE_B
        for config in screen:  # the single-task models and DSelect-k/EW first, config by config
            for seed in (0, 1, 2):
                for model in ("stl-left", "stl-right", "dselect-k-ew"):
                    jobs.append((model, config, seed))
        for config in screen:  # HPS/EW last (cut first)
            for seed in (0, 1, 2):
                jobs.append(("hps-ew", config, seed))
    elif stage == "D":  # the strategies on HPS/EW's try, seeds 0..2
        for model in STAGE_D:
            for seed in (0, 1, 2):
                jobs.append((model, choice["hps-ew"], seed))
    elif stage == "E":  # stage D's choice, seeds 3..9
        for seed in range(3, 10):
            jobs.append((choice["hps-strategy"], choice["hps-ew"], seed))
    else:
        for model in ("stl-left", "stl-right", "dselect-k-ew"):
            for seed in range(3, 10):
                jobs.append((model, choice[model], seed))
        for seed in range(10):
            jobs.append(("dselect-k-cagrad", choice["dselect-k-ew"], seed))
        if "hps-ew" in choice:
            for seed in range(3, 10):
                jobs.append(("hps-ew", choice["hps-ew"], seed))
    return jobs


def run_stage(stage, choice, jobs_at_once):
    todo = [j for j in stage_jobs(stage, choice) if finished(*j) is None]
    print(f"stage {stage}: {len(todo)} runs to do", file=sys.stderr)

    def one(job):
        model, config, seed = job
        work = os.path.join(WORK, config)
        os.makedirs(work, exist_ok=True)
        mtl_table.train(spec_of(model, config, seed), work, run_name(model, seed), 1)

    mtl_table.run_jobs(todo, one, jobs_at_once, lambda job: f"{job[1]}/{run_name(job[0], job[2])}")


def metric(m, task, split):
    return m["tasks"][task][split]["accuracy"]


def ms(xs):
    return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs) if len(xs) > 1 else 0:.4f}"


def dms(xs):
    return f"{statistics.mean(xs):+.2f} ± {statistics.stdev(xs) if len(xs) > 1 else 0:.2f}"


def stl_values(choice, seeds, split):
    """(task, seed) -> the tuned single-task model's accuracy, or None when a run is missing."""
    out = {}
    for task in TASKS:
        for seed in seeds:
            m = finished(f"stl-{task}", choice[f"stl-{task}"], seed)
            if m is None:
                return None
            out[(task, seed)] = metric(m, task, split)
    return out


def table_a():
    seeds = (0, 1, 2)
    complete = [c for c in CONFIGS if all(finished(m, c, s) for m in ("stl-left", "stl-right", "dselect-k-ew") for s in seeds)]
    print(f"Stage A (validation, seeds 0, 1, 2); complete configurations: {', '.join(complete)}\n")
    choice = {}
    print("| configuration | single-task left | single-task right | best epochs (left; right) |")
    print("|---|---|---|---|")
    means = {}
    for c in complete:
        left = [metric(finished("stl-left", c, s), "left", "validation") for s in seeds]
        right = [metric(finished("stl-right", c, s), "right", "validation") for s in seeds]
        means[c] = (statistics.mean(left), statistics.mean(right))
        be = lambda model: ", ".join(str(finished(model, c, s)["best_epoch"]) for s in seeds)
        print(f"| {c} | {ms(left)} | {ms(right)} | {be('stl-left')}; {be('stl-right')} |")
    for i, task in enumerate(TASKS):  # the first configuration of the highest mean wins a tie
        choice[f"stl-{task}"] = max(complete, key=lambda c: (means[c][i], -list(CONFIGS).index(c)))
    print(f"\nchosen: stl-left = {choice['stl-left']}, stl-right = {choice['stl-right']}\n")
    stl = stl_values(choice, seeds, "validation")
    for model in ("dselect-k-ew", "hps-ew"):
        rows = [c for c in complete if all(finished(model, c, s) for s in seeds)]
        if len(rows) < len(complete):
            print(f"{model}: incomplete ({len(rows)} of {len(complete)} configurations), left out\n")
            continue
        print(f"| {model} configuration | left | right | Δm% vs tuned single-task | Δm% per seed | best epochs |")
        print("|---|---|---|---|---|---|")
        score = {}
        for c in rows:
            runs = [finished(model, c, s) for s in seeds]
            deltas = [mtl_table.delta_m({t: metric(r, t, "validation") for t in TASKS}, {t: stl[(t, s)] for t in TASKS}, "accuracy")
                      for r, s in zip(runs, seeds)]
            score[c] = statistics.mean(deltas)
            print(f"| {c} | {ms([metric(r, 'left', 'validation') for r in runs])} | {ms([metric(r, 'right', 'validation') for r in runs])} "
                  f"| {dms(deltas)} | {', '.join(f'{d:+.2f}' for d in deltas)} | {', '.join(str(r['best_epoch']) for r in runs)} |")
        choice[model] = max(rows, key=lambda c: (score[c], -list(CONFIGS).index(c)))
        print(f"\nchosen: {model} = {choice[model]}\n")
    print("--choice " + ",".join(f"{k}={v}" for k, v in choice.items()))


def table_d(choice):
    seeds = (0, 1, 2)
    stl = stl_values(choice, seeds, "validation")
    config = choice["hps-ew"]
    print(f"Stage D (validation, seeds 0, 1, 2): strategies on HPS in try {config}; Δm% against the tuned single-task models\n")
    print("| model | left | right | Δm% | Δm% per seed | best epochs | s/epoch |")
    print("|---|---|---|---|---|---|---|")
    score = {}
    for model in ["hps-ew"] + STAGE_D:
        runs = [finished(model, config, s) for s in seeds]
        if any(r is None for r in runs):
            print(f"| {model} | incomplete | | | | | |")
            continue
        deltas = [mtl_table.delta_m({t: metric(r, t, "validation") for t in TASKS}, {t: stl[(t, s)] for t in TASKS}, "accuracy")
                  for r, s in zip(runs, seeds)]
        if model != "hps-ew":
            score[model] = statistics.mean(deltas)
        print(f"| {model} | {ms([metric(r, 'left', 'validation') for r in runs])} | {ms([metric(r, 'right', 'validation') for r in runs])} "
              f"| {dms(deltas)} | {', '.join(f'{d:+.2f}' for d in deltas)} | {', '.join(str(r['best_epoch']) for r in runs)} "
              f"| {statistics.median(r['seconds_per_epoch'] for r in runs):.2f} |")
    if score:
        best = max(score, key=lambda m: (score[m], -STAGE_D.index(m)))
        print(f"\nchosen (the strategy of the highest mean validation Δm%): hps-strategy={best}")


def table_c(choice, split):
    seeds = list(range(10))
    stl = stl_values(choice, seeds, split)
    if stl is None:
        print("the tuned single-task models are incomplete")
        return
    base_choice = {"stl-left": "base", "stl-right": "base"}
    stl_base = stl_values(base_choice, seeds, split)
    print(f"Stage C ({split}, seeds 0..9); Δm% against the tuned single-task models "
          f"(left: {choice['stl-left']}, right: {choice['stl-right']})\n")
    print("| model | configuration | left | right | Δm% | seeds > 0 | Δm% per seed (0–9) | Δm% vs round-8 single-task | best epochs (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| single-task, tuned | {choice['stl-left']}; {choice['stl-right']} | {ms([stl[('left', s)] for s in seeds])} | "
          f"{ms([stl[('right', s)] for s in seeds])} | 0 | | | "
          f"{dms([mtl_table.delta_m({t: stl[(t, s)] for t in TASKS}, {t: stl_base[(t, s)] for t in TASKS}, 'accuracy') for s in seeds])} | "
          f"{statistics.median(finished('stl-left', choice['stl-left'], s)['best_epoch'] for s in seeds)}; "
          f"{statistics.median(finished('stl-right', choice['stl-right'], s)['best_epoch'] for s in seeds)} |")
    rows = [("dselect-k-ew", choice["dselect-k-ew"]), ("dselect-k-cagrad", choice["dselect-k-ew"])]
    if "hps-ew" in choice:
        rows.append(("hps-ew", choice["hps-ew"]))
    if "hps-strategy" in choice:
        rows.append((choice["hps-strategy"], choice["hps-ew"]))
    rows += [r for r in [("single-task, round 8", "base"), ("dselect-k-ew", "base"), ("dselect-k-cagrad", "base")] if r not in rows]
    per_row = {}
    for model, config in rows:
        if model.startswith("single-task"):
            vals = [{t: stl_base[(t, s)] for t in TASKS} for s in seeds]
        else:
            runs = [finished(model, config, s) for s in seeds]
            if any(r is None for r in runs):
                print(f"| {model} | {config} | incomplete ({sum(r is not None for r in runs)} of 10) | | | | | | |")
                continue
            vals = [{t: metric(r, t, split) for t in TASKS} for r in runs]
        deltas = [mtl_table.delta_m(v, {t: stl[(t, s)] for t in TASKS}, "accuracy") for v, s in zip(vals, seeds)]
        d8 = [mtl_table.delta_m(v, {t: stl_base[(t, s)] for t in TASKS}, "accuracy") for v, s in zip(vals, seeds)]
        per_row[(model, config)] = deltas
        epochs = "" if model.startswith("single-task") else statistics.median(finished(model, config, s)["best_epoch"] for s in seeds)
        print(f"| {model} | {config} | {ms([v['left'] for v in vals])} | {ms([v['right'] for v in vals])} | {dms(deltas)} | "
              f"{sum(d > 0 for d in deltas)} of 10 | {', '.join(f'{d:+.2f}' for d in deltas)} | {dms(d8)} | {epochs} |")
    a, b = ("dselect-k-cagrad", choice["dselect-k-ew"]), ("dselect-k-ew", choice["dselect-k-ew"])
    pairs = [(a, b)]
    if "hps-ew" in choice:
        pairs += [(a, ("hps-ew", choice["hps-ew"])), (b, ("hps-ew", choice["hps-ew"]))]
    if "hps-strategy" in choice:
        pairs += [((choice["hps-strategy"], choice["hps-ew"]), ("hps-ew", choice["hps-ew"]))]
    if b != ("dselect-k-ew", "base"):
        pairs += [(b, ("dselect-k-ew", "base"))]
    for x, y in pairs:
        if x in per_row and y in per_row:
            diff = [p - q for p, q in zip(per_row[x], per_row[y])]
            print(f"\npaired {x[0]} ({x[1]}) − {y[0]} ({y[1]}): {dms(diff)}, higher on {sum(d > 0 for d in diff)} of 10 seeds")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["run", "table"])
    parser.add_argument("--stage", choices=["A", "B", "C", "D", "E"], required=True, help="table --stage A: the screen's table (stages A and B)")
    parser.add_argument("--choice", default="", help="model=configuration,... (stage C): the stage-A choice")
    parser.add_argument("--split", default="validation", choices=["validation", "test"])
    args = parser.parse_args()
    choice = dict(item.split("=", 1) for item in args.choice.split(",") if item)
    for model, config in choice.items():
        if model == "hps-strategy":
            if config not in STAGE_D:
                parser.error(f"--choice hps-strategy={config}: one of {', '.join(STAGE_D)}")
            continue
        if model not in MODELS or config not in CONFIGS:
            parser.error(f"--choice {model}={config}: unknown model or configuration")
    if args.stage in ("C", "D", "E"):
        for model in ("stl-left", "stl-right") + (("dselect-k-ew",) if args.stage == "C" else ("hps-ew",)) + (("hps-strategy",) if args.stage == "E" else ()):
            if model not in choice:
                parser.error(f"stage C needs --choice {model}=CONFIG")
    if args.command == "run":
        run_stage(args.stage, choice, int(os.environ.get("JOBS", "2")))
    elif args.stage in ("A", "B"):
        table_a()
    elif args.stage == "D":
        table_d(choice)
    else:
        table_c(choice, args.split)


if __name__ == "__main__":
    main()
