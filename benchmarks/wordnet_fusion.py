#!/usr/bin/env python3
"""WordNet's supersense from two texts of a synset, its gloss and its words ("lemma"), as two text inputs: each text alone
against fusions of the two, through `mtl train`, over several training seeds: test accuracy (and macro F1) mean ± std.

    python3 benchmarks/wordnet_fusion.py [--mtl PATH] [--out DIR] [--seeds 3] [--threads 1] [--jobs 2] [--rows 30000] [--epochs 8] [--only lemma,concat]

Build first: dotnet build src/MtlEngine.Cli -c Release. The data are `mtl example wordnet`'s glosses.txt and words.txt
(the synset's words, "abstraction; abstract entity"), cut to --rows seeded random rows (benchmarks/example_subset.py, seed
--rows-seed; 0 keeps all 117,659); the task is the supersense alone (45 lexicographer files). The spec is the example's for the
gloss (an embedding bag of width 64 over the tokens seen in at least 2 training glosses; trunk [128]; Adam 0.003, batch 256)
with the words as a second input of its own vocabulary (the same encoder: an embedding bag of width 64, min_count 2 or
--lemma-min-count), trained
for exactly --epochs epochs. Only the inputs (for the single-text rows), model.fusion and training.seed change. The split is
fixed (seed 0: 20% test, 5% validation); the seeds vary the weights and the batch order.
Writes DIR/results.json and prints a Markdown table.
"""
import argparse
import concurrent.futures
import copy
import json
import os
import statistics
import subprocess
import sys
import time

import example_subset

FUSIONS = ["concat", "late", "sum", "product", "max", "gated", "attention", "low-rank", "tensor"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mtl", default=os.path.join(root, "src/MtlEngine.Cli/bin/Release/net10.0/mtl"),
                        help="the mtl command (split on spaces: \"dotnet path/mtl.dll\" works)")
    parser.add_argument("--out", default="wordnet-fusion")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="trainings run at once (each with --threads threads)")
    parser.add_argument("--rows", type=int, default=30000, help="seeded random rows of the 117,659 synsets (0: all)")
    parser.add_argument("--rows-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lemma-min-count", type=int, default=2, help="min_count of the lemma input's vocabulary (training synsets a token must occur in)")
    parser.add_argument("--only", default=None, help="comma-separated row names to run (gloss, lemma, a fusion)")
    args = parser.parse_args()
    mtl = args.mtl.split()
    started = time.time()

    data = os.path.join(args.out, "data")
    marker = os.path.join(data, f"rows-{args.rows}-seed-{args.rows_seed}")
    if not os.path.exists(marker):  # the data of an earlier call are reused when they are the same subset
        subprocess.run(mtl + ["example", "wordnet", "--out", data], check=True, stdout=subprocess.DEVNULL)
        if args.rows:
            example_subset.subset(data, args.rows, args.rows_seed, extra_files=["words.txt"])
        open(marker, "w").close()
    with open(os.path.join(data, "spec.json")) as f:
        base = json.load(f)
    gloss = base["inputs"][0]
    base["inputs"] = [gloss, dict(gloss, name="lemma", path="words.txt", encoder=dict(gloss["encoder"], min_count=args.lemma_min_count))]
    base["tasks"] = [t for t in base["tasks"] if t["name"] == "supersense"]
    base["training"]["epochs"] = args.epochs
    base["training"].pop("early_stopping", None)

    rows = [("gloss only", "gloss", None), ("lemma only", "lemma", None)] + [(fusion, None, fusion) for fusion in FUSIONS]
    if args.only:
        wanted = set(args.only.split(","))
        rows = [r for r in rows if r[0] in wanted or (r[1] or r[2]) in wanted]

    def train(name, single, fusion, seed):
        spec = copy.deepcopy(base)
        spec["training"]["seed"] = seed
        if single:
            spec["inputs"] = [i for i in spec["inputs"] if i["name"] == single]
        else:
            spec["model"]["fusion"] = fusion
        tag = name.replace(" ", "_") + (f"-mc{args.lemma_min_count}" if args.lemma_min_count != 2 and single != "gloss" else "") + f"-s{seed}"
        spec_path = os.path.join(data, f"spec-{tag}.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        out = os.path.join(args.out, tag)
        start = time.time()
        done = subprocess.run(mtl + ["train", "--spec", spec_path, "--out", out, "--threads", str(args.threads)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{name} seed {seed} failed: {done.stderr.strip()}")
        with open(os.path.join(out, "metrics.json")) as f:
            m = json.load(f)
        test = m["tasks"]["supersense"]["test"]
        run = {"accuracy": test["accuracy"], "macro_f1": test["macro_f1"], "seconds_per_epoch": m["seconds_per_epoch"],
               "wall_seconds": time.time() - start}
        print(f"{name} seed {seed}: accuracy {run['accuracy']:.4f} ({run['wall_seconds']:.0f} s)", file=sys.stderr)
        return run

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {(name, seed): pool.submit(train, name, single, fusion, seed) for name, single, fusion in rows for seed in range(args.seeds)}
        results = {name: [futures[(name, seed)].result() for seed in range(args.seeds)] for name, _, _ in rows}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    def cell(runs, key, digits=4):
        values = [r[key] for r in runs]
        if len(values) == 1:
            return f"{values[0]:.{digits}f}"
        return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    print(f"# wordnet supersense from (gloss, lemma): test accuracy, mean ± std over seeds 0..{args.seeds - 1}; cpu: {cpu}, "
          f"threads={args.threads}, jobs={args.jobs}, epochs={args.epochs}, lemma min_count={args.lemma_min_count}, rows: {args.rows or 'all'} (seed {args.rows_seed}), "
          f"wall: {(time.time() - started) / 60:.1f} min")
    print()
    print("| model | test accuracy | test macro F1 | s/epoch |")
    print("| --- | --- | --- | --- |")
    for name, runs in results.items():
        print(f"| {name} | {cell(runs, 'accuracy')} | {cell(runs, 'macro_f1')} | {cell(runs, 'seconds_per_epoch', 2)} |")


if __name__ == "__main__":
    main()
