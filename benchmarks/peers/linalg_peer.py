#!/usr/bin/env python3
"""The peer of `mtl bench linalg`: the same dense factorizations in NumPy and SciPy (LAPACK on OpenBLAS), same sizes,
seconds = median after one warm-up, the faster of NumPy and SciPy for each (SciPy with check_finite=False).
Prints one key=value line per operation in the engine's format, plus impl=numpy|scipy.
Run it through linalg.sh, which sets OPENBLAS_NUM_THREADS and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE."""
import argparse
import time

import numpy as np
import scipy.linalg as sl


def median_time(fn, runs):
    result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], result


def rel(x, y):
    return np.linalg.norm(x - y) / np.linalg.norm(y)


def faster(runs, candidates, residual):
    best = None
    for name, fn in candidates:
        t, r = median_time(fn, runs)
        if best is None or t < best[0]:
            best = (t, r, name)
    t, r, name = best
    return t, residual(r), name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    T = args.threads

    n = 1024
    b = rng.uniform(-1, 1, (n, n))
    a = b @ b.T + n * np.eye(n)
    spd = a
    t, res, impl = faster(7, [("numpy", lambda: np.linalg.cholesky(a)),
                              ("scipy", lambda: sl.cholesky(a, lower=True, check_finite=False))],
                          lambda l: rel(l @ l.T, a))
    print(f"name=cholesky n={n} seconds={t:.4g} residual={res:.2E} gflops={n ** 3 / 3 / t / 1e9:.1f} threads={T} impl={impl}")
    t, _ = median_time(lambda: a @ a, 5)
    print(f"name=gemm n={n} seconds={t:.4g} gflops={2 * n ** 3 / t / 1e9:.1f} threads={T} impl=numpy")

    n = 512
    s = rng.uniform(-1, 1, (n, n))
    s = np.tril(s) + np.tril(s, -1).T
    t, res, impl = faster(3, [("numpy", lambda: np.linalg.eigh(s)),
                              ("scipy", lambda: sl.eigh(s, check_finite=False))],
                          lambda wv: rel((wv[1] * wv[0]) @ wv[1].T, s))
    print(f"name=eigh n={n} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")

    m, n = 1024, 512
    x = rng.uniform(-1, 1, (m, n))
    t, res, impl = faster(3, [("numpy", lambda: np.linalg.svd(x, full_matrices=False)),
                              ("scipy", lambda: sl.svd(x, full_matrices=False, check_finite=False))],
                          lambda usv: rel((usv[0] * usv[1]) @ usv[2], x))
    print(f"name=svd m={m} n={n} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")

    m, n = 2048, 512
    x = rng.uniform(-1, 1, (m, n))
    t, res, impl = faster(5, [("numpy", lambda: np.linalg.qr(x)),
                              ("scipy", lambda: sl.qr(x, mode="economic", check_finite=False))],
                          lambda qr: rel(qr[0] @ qr[1], x))
    print(f"name=qr m={m} n={n} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")

    n, k = 1024, 16
    a = rng.uniform(-1, 1, (n, n))
    rhs = rng.uniform(-1, 1, (n, k))
    t, res, impl = faster(7, [("numpy", lambda: np.linalg.solve(a, rhs)),
                              ("scipy", lambda: sl.solve(a, rhs, check_finite=False))],
                          lambda sol: np.linalg.norm(a @ sol - rhs) / (np.linalg.norm(a) * np.linalg.norm(sol)))
    print(f"name=solve n={n} nrhs={k} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")

    # float32: the same inputs rounded to float32 (LAPACK's spotrf / sgetrf+sgetrs); residuals computed in float64.
    # cho_factor leaves the upper triangle as it was: the residual reads its lower triangle (np.tril, not timed).
    a32 = spd.astype(np.float32)
    n = a32.shape[0]
    t, res, impl = faster(7, [("numpy", lambda: np.linalg.cholesky(a32)),
                              ("scipy", lambda: sl.cho_factor(a32, lower=True, check_finite=False)[0])],
                          lambda l: rel(np.tril(l).astype(np.float64) @ np.tril(l).astype(np.float64).T, a32.astype(np.float64)))
    print(f"name=cholesky_f32 n={n} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")

    g32, rhs32 = a.astype(np.float32), rhs.astype(np.float32)
    g64, rhs64 = g32.astype(np.float64), rhs32.astype(np.float64)
    t, res, impl = faster(7, [("numpy", lambda: np.linalg.solve(g32, rhs32)),
                              ("scipy", lambda: sl.lu_solve(sl.lu_factor(g32, check_finite=False), rhs32, check_finite=False))],
                          lambda sol: np.linalg.norm(g64 @ sol - rhs64) / (np.linalg.norm(g64) * np.linalg.norm(sol.astype(np.float64))))
    print(f"name=solve_f32 n={n} nrhs={k} seconds={t:.4g} residual={res:.2E} threads={T} impl={impl}")


if __name__ == "__main__":
    main()
