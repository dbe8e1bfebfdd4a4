#!/usr/bin/python3
"""scikit-learn's side of `mtl bench pca`: PCA(32) of the same X (20000 x 512) by svd_solver='full' and 'randomized'.

X is rebuilt from the deterministic formula of src/MtlEngine.Cli/Bench/PcaBench.cs (A·B plus a sin-hash noise), so
both sides fit the same data. Prints `name=pca_full ... seconds=... explained_variance_ratio=... threads=T` lines:
the median of several fits after one warm-up fit. Run through pca.sh, which sets OPENBLAS_NUM_THREADS.
"""
import argparse
import time

import numpy as np
from sklearn.decomposition import PCA


def data(n, d):
    rank = 64
    i = np.arange(n, dtype=np.float64)[:, None]
    j = np.arange(d, dtype=np.float64)[None, :]
    r_col = np.arange(rank, dtype=np.float64)[None, :]
    r_row = np.arange(rank, dtype=np.float64)[:, None]
    a = np.sin(0.0123 * (i + 1) * (r_col + 1) + 0.7 * r_col)
    b = np.cos(0.0371 * (j + 1) * (r_row + 1) + 0.3 * r_row) * 0.93 ** r_row
    x = a @ b
    h = np.sin(12.9898 * i + 78.233 * j) * 43758.5453
    x += 0.5 * (h - np.floor(h) - 0.5)
    return x


def median_seconds(fit, runs):
    fit()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fit()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--features", type=int, default=512)
    p.add_argument("--components", type=int, default=32)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    x = data(args.rows, args.features)
    for name, solver in [("pca_full", "full"), ("pca_randomized", "randomized")]:
        model = {}

        def fit():
            model["m"] = PCA(n_components=args.components, svd_solver=solver, random_state=0).fit(x)

        s = median_seconds(fit, args.runs)
        ratio = model["m"].explained_variance_ratio_.sum()
        print(f"name={name} n={args.rows} d={args.features} k={args.components} seconds={s:.4g} "
              f"explained_variance_ratio={ratio:.10f} threads={args.threads}")


if __name__ == "__main__":
    main()
