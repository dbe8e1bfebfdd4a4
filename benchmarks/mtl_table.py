#!/usr/bin/env python3
"""The multi-task table of a shipped example: every architecture x every strategy against single-task models.

For each (architecture, weighting) pair and each seed, `mtl train` runs the example's spec with only those two keys
(and the seed and epochs) changed; each single-task baseline is the same spec with one task kept and the `hps`
architecture (the same encoder, trunk and budget). The table gives each task's test metric as mean +- std over the
seeds and Delta m% (LibMTL's formula, Lin & Zhang 2023):

    Delta m = 100/T * sum_t (-1)^{s_t} (M_t - M_t^STL) / M_t^STL,   s_t = 0 when higher is better, 1 when lower is,

so a positive Delta m is better than the single-task models on average. Per seed, M^STL is the single-task model of
the same seed; the table shows the mean +- std of the per-seed Delta m.

Usage:
    dotnet build src/MtlEngine.Cli -c Release
    benchmarks/mtl_table.py multi-fashion --architectures hps,mmoe --weightings ew,uw,pcgrad --seeds 0,1,2 --epochs 10
    benchmarks/mtl_table.py multi-fashion --fashion-mnist ../shared/datasets/fashion-mnist --train-count 30000 --jobs 2 --threads 1 \
        --set 'inputs=[{"name":"picture","type":"image","path":"pictures.npy","encoder":{"type":"cnn","channels":[10,20],"readout":"flatten"}}]'
    benchmarks/mtl_table.py wordnet --rows 30000 --epochs 8 --threads 1 --jobs 2 --weightings ew,uw,pcgrad --rep-grad pcgrad

--rows N keeps N seeded random rows of the example (benchmarks/example_subset.py) for every run, single-task ones included;
--rep-grad lists the weightings (gradient-aggregation methods) run on the gradients of the shared representation
(training.rep_grad, LibMTL's rep_grad) instead of the shared parameters' Jacobian; --jobs runs that many trainings at once;
--per-seed adds each seed's Delta m% to the table (the runs of one row, in the order of --seeds);
--arch-set ARCH:KEY=JSON overrides a spec key for one architecture's runs only, after every --set (JSON null removes the key),
e.g. --set 'model.hidden=[50]' --arch-set 'mtan:model.hidden=null' --arch-set 'mtan:model.tower_hidden=[50]'.

The CPU and the thread count are printed with the table. Nothing but the standard library is needed.
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import example_subset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOWER_IS_BETTER = {"mse", "mae", "log_loss", "loss"}


def mtl_command():
    explicit = os.environ.get("MTL")
    if explicit:
        return explicit.split()
    return ["dotnet", os.path.join(ROOT, "src/MtlEngine.Cli/bin/Release/net10.0/mtl.dll")]


class RunFailed(Exception):
    pass


def run(args, quiet=True):
    result = subprocess.run(mtl_command() + args, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise RunFailed("mtl " + " ".join(args) + " failed: " + result.stderr.strip())
    return result.stdout


def train(spec, work, name, threads):
    spec_path = os.path.join(work, name + ".json")
    out = os.path.join(work, name)
    metrics = os.path.join(out, "metrics.json")
    if os.path.exists(spec_path) and os.path.exists(metrics):  # a run of an earlier call with --work: reused when its spec is the same
        with open(spec_path) as f:
            if json.load(f) == spec:
                with open(metrics) as g:
                    return json.load(g)
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    run(["train", "--spec", spec_path, "--out", out, "--threads", str(threads)])
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f)


def finished(spec, work, name):
    """The metrics.json of the run `name` under `work` when it exists and was trained from `spec`, else None."""
    try:
        with open(os.path.join(work, name + ".json")) as f:
            if json.load(f) != spec:
                return None
        with open(os.path.join(work, name, "metrics.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def run_jobs(todo, one, jobs_at_once, label):
    """Runs one(job) for every job, jobs_at_once at a time, in the order given; prints label(job) and the time as each ends.
    A failed training is printed and the others go on."""
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs_at_once) as pool:
        futures = {pool.submit(one, job): job for job in todo}  # submitted in order, so the pool runs them in it
        for future in concurrent.futures.as_completed(futures):
            try:
                future.result()
                print(f"{label(futures[future])}: done ({time.time() - started:.0f} s, {time.strftime('%H:%M:%S', time.gmtime())} UTC)",
                      file=sys.stderr, flush=True)
            except RunFailed as failure:
                print(failure, file=sys.stderr, flush=True)


def assign(spec, key, value):
    """Sets spec[a][b]... = value for key "a.b..."; value None removes the key."""
    *parents, leaf = key.split(".")
    node = spec
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value


def variant(base, architecture, weighting, seed, epochs, tasks=None, weighting_params=None, rep_grad=False, early_stopping=None,
            arch_sets=()):
    spec = json.loads(json.dumps(base))
    for key, value in arch_sets:
        assign(spec, key, value)
    spec.setdefault("model", {})["architecture"] = architecture
    training = spec.setdefault("training", {})
    training["weighting"] = weighting
    if rep_grad:
        training["rep_grad"] = True
    training["seed"] = seed
    training.pop("early_stopping", None)
    if early_stopping:
        training["early_stopping"] = early_stopping
    if weighting_params:
        training["weighting_params"] = weighting_params
    if epochs:
        training["epochs"] = epochs
    if tasks is not None:
        spec["tasks"] = [t for t in spec["tasks"] if t["name"] in tasks]
    return spec


def split_metric(metrics, task, metric, split):
    return metrics["tasks"][task][split][metric]


def delta_m(values, baselines, metric):
    sign = -1 if metric in LOWER_IS_BETTER else 1
    return 100 * sum(sign * (values[t] - baselines[t]) / baselines[t] for t in values) / len(values)


def mean_std(xs):
    return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("example", help="the shipped example (mtl example NAME): multi-fashion, digits, emoji, wordnet")
    parser.add_argument("--architectures", default="hps", help="comma-separated model.architecture values")
    parser.add_argument("--weightings", default="ew", help="comma-separated training.weighting values")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated training seeds")
    parser.add_argument("--epochs", type=int, default=0, help="epochs (0: the example's own)")
    parser.add_argument("--metric", default="accuracy", help="the test metric of every task (accuracy, macro_f1, r2, mse, ...)")
    parser.add_argument("--split", default="test", choices=["test", "validation"],
                        help="the split the table reports: choose a configuration on validation, then report test")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--jobs", type=int, default=1, help="trainings run at once (each with --threads threads)")
    parser.add_argument("--rows", type=int, default=0, help="keep this many seeded random rows of the example (0: all)")
    parser.add_argument("--rows-seed", type=int, default=0, help="the seed of the --rows subset")
    parser.add_argument("--rep-grad", default="", help="comma-separated weightings to run with training.rep_grad = true (aggregation methods)")
    parser.add_argument("--early-stopping", type=json.loads, metavar="JSON",
                        help='training.early_stopping of every run, single-task ones included, e.g. {"metric": "loss", "patience": 2}: '
                             "each run keeps its best epoch on validation (the trainer restores its weights); default: none, the last epoch's weights")
    parser.add_argument("--per-seed", action="store_true", help="add a column with each seed's Delta m%% (in the order of --seeds) to the table")
    parser.add_argument("--work", help="keep the runs in this folder (default: a temporary one); a later call with the same folder reuses "
                                       "every finished run whose spec is unchanged, so a grid can be extended or resumed")
    parser.add_argument("--fashion-mnist", help="multi-fashion: build it from the published Fashion-MNIST files in this folder (60,000 training, 10,000 test)")
    parser.add_argument("--train-count", type=int, help="multi-fashion: keep the first N training items")
    parser.add_argument("--validation-count", type=int, help="multi-fashion: validation pictures from the last N kept training items only "
                                                             "(split.validation; the example's default: a tenth; 0: validation_fraction of the training pictures)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                        help="override a spec key for every run, single-task ones included (model.hidden=[512], training.learning_rate=0.001); repeatable")
    parser.add_argument("--arch-set", action="append", default=[], metavar="ARCH:KEY=JSON",
                        help="override a spec key for one architecture's runs only, after every --set (null removes it); repeatable")
    args = parser.parse_args()
    arch_sets = {}  # architecture -> [(key, value)]
    for assignment in args.arch_set:
        architecture, sep, rest = assignment.partition(":")
        key, eq, value = rest.partition("=")
        if not sep or not eq or not key:
            parser.error(f"--arch-set {assignment!r}: expected ARCH:KEY=JSON")
        arch_sets.setdefault(architecture, []).append((key, json.loads(value)))
    started = time.time()

    work = args.work or tempfile.mkdtemp(prefix="mtl-table-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, "data")
    example = ["example", args.example, "--out", data]
    if args.fashion_mnist:
        example += ["--fashion-mnist", os.path.abspath(args.fashion_mnist)]
    if args.train_count:
        example += ["--train-count", str(args.train_count)]
    if args.validation_count is not None:
        example += ["--validation-count", str(args.validation_count)]
    run(example)
    total_rows = example_subset.subset(data, args.rows, args.rows_seed) if args.rows else None
    with open(os.path.join(data, "spec.json")) as f:
        base = json.load(f)
    for assignment in args.set:
        key, _, value = assignment.partition("=")
        assign(base, key, json.loads(value))
    # The runs write their specs into work/, so relative data paths must point back at data/.
    for entry in base["inputs"] + base["tasks"]:
        entry["path"] = os.path.join(data, entry["path"])
    for key in ("test", "validation"):
        if isinstance(base.get("split", {}).get(key), str):
            base["split"][key] = os.path.join(data, base["split"][key])
    tasks = [t["name"] for t in base["tasks"]]
    seeds = [int(s) for s in args.seeds.split(",")]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")

    rep_grad = set(filter(None, args.rep_grad.split(",")))
    grid = [(a, w) for a in args.architectures.split(",") for w in args.weightings.split(",")]
    jobs = {f"stl-{task}-{seed}": variant(base, "hps", "ew", seed, args.epochs, tasks=[task],
                                                  early_stopping=args.early_stopping) for task in tasks for seed in seeds}
    for architecture, weighting in grid:
        for seed in seeds:
            jobs[f"{architecture}-{weighting}{'-rep' if weighting in rep_grad else ''}-{seed}"] = variant(
                base, architecture, weighting, seed, args.epochs, rep_grad=weighting in rep_grad, early_stopping=args.early_stopping,
                arch_sets=arch_sets.get(architecture, ()))
    finished = {}  # name -> metrics, or the RunFailed
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(train, spec, work, name, args.threads): name for name, spec in jobs.items()}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            try:
                finished[name] = future.result()
                print(f"{name}: done ({time.time() - started:.0f} s)", file=sys.stderr)
            except RunFailed as failure:
                finished[name] = failure
                print(failure, file=sys.stderr)

    single = {}  # (task, seed) -> metric
    for task in tasks:
        for seed in seeds:
            m = finished[f"stl-{task}-{seed}"]
            if isinstance(m, RunFailed):
                raise m
            single[(task, seed)] = split_metric(m, task, args.metric, args.split)
            print(f"single-task {task} seed {seed}: {single[(task, seed)]:.4f}", file=sys.stderr)

    rows = []
    for architecture, weighting in grid:
        label = weighting + (" (rep_grad)" if weighting in rep_grad else "")
        runs = [finished[f"{architecture}-{weighting}{'-rep' if weighting in rep_grad else ''}-{seed}"] for seed in seeds]
        failure = next((r for r in runs if isinstance(r, RunFailed)), None)
        if failure is not None:  # one method's failure is a row of the table, not the end of it
            rows.append((architecture, label, None, str(failure).splitlines()[-1], None, None))
            continue
        per_task = {t: [] for t in tasks}
        deltas, seconds = [], []
        for seed, m in zip(seeds, runs):
            values = {t: split_metric(m, t, args.metric, args.split) for t in tasks}
            for t in tasks:
                per_task[t].append(values[t])
            deltas.append(delta_m(values, {t: single[(t, seed)] for t in tasks}, args.metric))
            seconds.append(m.get("seconds_per_epoch", float("nan")))
            print(f"{architecture} {label} seed {seed}: {values} delta_m={deltas[-1]:+.2f}", file=sys.stderr)
        rows.append((architecture, label, {t: mean_std(per_task[t]) for t in tasks}, mean_std(deltas), statistics.median(seconds), deltas))

    print(f"# {args.example}: {args.split} {args.metric}, mean +- std over seeds {args.seeds}; Delta m% against single-task "
          f"(positive = better); cpu: {cpu}, threads={args.threads}, epochs={args.epochs or 'spec'}"
          + (f", overrides: {' '.join(args.set)}" if args.set else "")
          + (f", per architecture: {' '.join(args.arch_set)}" if args.arch_set else "")
          + (f", early stopping: {json.dumps(args.early_stopping)}" if args.early_stopping else ", last epoch's weights")
          + (f", rows: {args.rows} of {total_rows} (seed {args.rows_seed})" if args.rows else "")
          + f", jobs={args.jobs}, wall: {(time.time() - started) / 60:.1f} min")
    print()
    extra = " Δm% by seed |" if args.per_seed else ""
    print("| architecture | weighting | " + " | ".join(tasks) + " | Δm% |" + extra + " s/epoch |")
    print("|---|---|" + "---|" * len(tasks) + "---|---|" + ("---|" if args.per_seed else ""))
    stl = {t: mean_std([single[(t, s)] for s in seeds]) for t in tasks}
    print("| single-task | — | " + " | ".join(f"{stl[t][0]:.4f} ± {stl[t][1]:.4f}" for t in tasks) + " | 0 |"
          + (" " + ", ".join("0" for _ in seeds) + " |" if args.per_seed else "") + " — |")
    for architecture, weighting, values, delta, sec, deltas in rows:
        if values is None:
            print(f"| {architecture} | {weighting} | " + " | ".join("—" for _ in tasks) + f" | failed: {delta} |"
                  + (" — |" if args.per_seed else "") + " — |")
            continue
        dm, ds = delta
        print(f"| {architecture} | {weighting} | " + " | ".join(f"{values[t][0]:.4f} ± {values[t][1]:.4f}" for t in tasks)
              + f" | {dm:+.2f} ± {ds:.2f} |" + (" " + ", ".join(f"{d:+.2f}" for d in deltas) + " |" if args.per_seed else "")
              + f" {sec:.2f} |")


if __name__ == "__main__":
    main()
