#!/usr/bin/python3
"""scikit-learn peer of `mtl bench logreg`: LogisticRegression (lbfgs, C=1, tol=1e-4, max_iter=100) on digits / 16 and on
the synthetic set that src/MtlEngine.Cli/Bench/LogregBench.cs builds (SplitMix64 hashes of counters, bit for bit the same).
Prints `name=... seconds=... iterations=... train_accuracy=...` lines; seconds is the median of several fits after warm-up.
Run with OPENBLAS_NUM_THREADS = --threads (benchmarks/peers/logreg.sh does).
"""
import argparse
import gzip
import os
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(key):
    z = key.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform(key):
    return (splitmix64(key) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def synthetic(n, d, classes):
    y = (splitmix64(np.arange(n, dtype=np.uint64)) % np.uint64(classes)).astype(np.int64)
    mean = 0.15 * (2 * uniform(np.uint64(1 << 40) + np.arange(classes * d, dtype=np.uint64)) - 1)
    noise = 2 * uniform(np.uint64(1 << 41) + np.arange(n * d, dtype=np.uint64)) - 1
    x = noise.reshape(n, d) + mean.reshape(classes, d)[y]
    return x, y


def digits():
    path = "/work/shared/datasets/tabular/digits.csv.gz"
    rows = np.loadtxt(gzip.open(path), delimiter=",")
    return rows[:, :-1] / 16.0, rows[:, -1].astype(np.int64)


def median_seconds(fit, warmup_seconds=0.5):
    start, warm = time.perf_counter(), 0
    while (time.perf_counter() - start < warmup_seconds or warm < 2) and warm < 1000:
        fit()
        warm += 1
    per_call = (time.perf_counter() - start) / warm
    runs = 3 if per_call > 1 else 5 if per_call > 0.2 else 9
    reps = int(min(max(0.02 / per_call, 1), 100000))
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for _ in range(reps):
            fit()
        times.append((time.perf_counter() - t) / reps)
    return sorted(times)[runs // 2]


def measure(name, x, y, threads):
    model = None

    def fit():
        nonlocal model
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=1.0).fit(x, y)

    seconds = median_seconds(fit)
    print(f"name={name} n={x.shape[0]} d={x.shape[1]} classes={len(np.unique(y))} seconds={seconds:.4g} "
          f"iterations={int(model.n_iter_[0])} train_accuracy={model.score(x, y):.4f} threads={threads}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    x, y = digits()
    measure("logreg_digits", x, y, args.threads)
    x, y = synthetic(args.n, 256, 10)
    measure("logreg_synth", x, y, args.threads)


if __name__ == "__main__":
    main()
