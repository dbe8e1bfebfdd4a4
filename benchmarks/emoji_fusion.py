#!/usr/bin/env python3
"""Every fusion against each single modality on the shipped emoji data (a 32x32 picture and the name; tasks: category
and subcategory), through `mtl train`, over several training seeds: test accuracy mean ± std per task, and the area of the
robustness curve (category accuracy with the picture, or the name, missing for 0..100% of the test samples).

    python3 benchmarks/emoji_fusion.py [--mtl PATH] [--out DIR] [--seeds 3] [--threads 2] [--epochs 15] [--only concat,gated]
        [--dropout 0.3 | --dropout picture=0.5,name=0.2] [--fill learned|mean|zeros]

Build first: dotnet build src/MtlEngine.Cli -c Release. The spec is `mtl example emoji`'s (CNN [16, 32] for the picture,
a 32-wide embedding bag for the name, trunk [128], Adam 0.003, early stopping on subcategory accuracy); only
model.fusion, the inputs (for the single-modality rows), training.seed and, for the "+ modality dropout" rows,
training.modality_dropout (--dropout: one rate, or a rate per input) with every input's missing fill (--fill) change.
Any fusion gets a "+ modality dropout" row with --only FUSION+md (concat+md and gated+md are in the default list). The split is fixed (seed 0); the seeds vary the weights and
the batch order. Writes DIR/results.json and prints a Markdown table.
"""
import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time

FUSIONS = ["concat", "sum", "product", "max", "gated", "attention", "tensor", "low-rank", "film", "cross-attention", "late"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mtl", default=os.path.join(root, "src/MtlEngine.Cli/bin/Release/net10.0/mtl"))
    parser.add_argument("--out", default="emoji-fusion")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--dropout", default="0.3", help="the modality dropout of the '+ modality dropout' rows: one rate (0.3) or a rate per input (picture=0.5,name=0.2)")
    parser.add_argument("--fill", default="learned", choices=["learned", "mean", "zeros"], help="every input's missing fill in the '+ modality dropout' rows")
    parser.add_argument("--only", default=None, help="comma-separated row names to run (picture, name, a fusion, FUSION+md)")
    args = parser.parse_args()

    data = os.path.join(args.out, "data")
    if not os.path.exists(os.path.join(data, "spec.json")):
        subprocess.run([args.mtl, "example", "emoji", "--out", data], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(data, "spec.json")) as f:
        base = json.load(f)
    base["training"]["epochs"] = args.epochs

    if "=" in args.dropout:
        dropout_value = {k: float(v) for k, v in (part.split("=") for part in args.dropout.split(","))}
        dropout_text = ", ".join(f"{k} {v:g}" for k, v in dropout_value.items())
    else:
        dropout_value = float(args.dropout)
        dropout_text = f"{dropout_value:g}"
    md = f" + modality dropout ({dropout_text}; {args.fill} fill)"

    rows = [("picture only", "picture", None, False), ("name only", "name", None, False)]
    rows += [(fusion, None, fusion, False) for fusion in FUSIONS]
    rows += [("concat" + md, None, "concat", True), ("gated" + md, None, "gated", True)]
    if args.only:
        wanted = set(args.only.split(","))
        rows += [(f + md, None, f, True) for f in FUSIONS if f + "+md" in wanted and f not in ("concat", "gated")]
        rows = [r for r in rows if r[0] in wanted or (r[1] or "") in wanted or (r[2] or "") + ("+md" if r[3] else "") in wanted]

    results = {}
    for name, single, fusion, dropout in rows:
        runs = []
        for seed in range(args.seeds):
            spec = copy.deepcopy(base)
            spec["training"]["seed"] = seed
            if single:
                spec["inputs"] = [i for i in spec["inputs"] if i["name"] == single]
            else:
                spec["model"]["fusion"] = fusion
                spec["evaluation"] = {"robustness": True}
                if dropout:
                    spec["training"]["modality_dropout"] = dropout_value
                    for i in spec["inputs"]:
                        i["missing"] = args.fill
            tag = "".join(c if c.isalnum() or c in "-." else "_" for c in name.replace("+", "and")) + f"-s{seed}"
            spec_path = os.path.join(data, f"spec-{tag}.json")
            with open(spec_path, "w") as f:
                json.dump(spec, f)
            out = os.path.join(args.out, tag)
            start = time.time()
            done = subprocess.run([args.mtl, "train", "--spec", spec_path, "--out", out, "--threads", str(args.threads)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                sys.exit(f"{name} seed {seed} failed: {done.stderr.strip()}")
            with open(os.path.join(out, "metrics.json")) as f:
                m = json.load(f)
            run = {"category": m["tasks"]["category"]["test"]["accuracy"], "subcategory": m["tasks"]["subcategory"]["test"]["accuracy"],
                   "epochs": m["epochs_run"], "seconds_per_epoch": m["seconds_per_epoch"], "wall_seconds": time.time() - start}
            if "robustness" in m:
                for modality in ("picture", "name"):
                    run[f"area_{modality}_missing"] = m["robustness"]["inputs"][modality]["category"]["area"]
                    run[f"{modality}_missing_all"] = m["robustness"]["inputs"][modality]["category"]["values"][-1]
            runs.append(run)
            print(f"{name} seed {seed}: category {run['category']:.4f} subcategory {run['subcategory']:.4f} ({run['wall_seconds']:.0f} s)", file=sys.stderr)
        results[name] = runs
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)

    def cell(runs, key):
        values = [r[key] for r in runs if key in r]
        if not values:
            return "–"
        if len(values) == 1:
            return f"{values[0]:.3f}"
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

    print(f"| model | category acc. | subcategory acc. | category acc., picture missing | category acc., name missing | robustness area, picture | robustness area, name | s/epoch |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, runs in results.items():
        print(f"| {name} | {cell(runs, 'category')} | {cell(runs, 'subcategory')} | {cell(runs, 'picture_missing_all')} | {cell(runs, 'name_missing_all')} | "
              f"{cell(runs, 'area_picture_missing')} | {cell(runs, 'area_name_missing')} | {cell(runs, 'seconds_per_epoch')} |")


if __name__ == "__main__":
    main()
