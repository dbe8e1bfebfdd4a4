#!/usr/bin/python3
"""NumPy (OpenBLAS) peer of `mtl bench gemm`: times C = A @ B for square n x n matrices.

Prints one line per (n, dtype) in the same key=value form as `mtl bench gemm`:
    name=gemm_numpy dtype=f32 n=1024 threads=2 gflops=... blas=openblas
gflops = 2 n^3 / the median of several timed runs after warm-up (each run repeats the product until it lasts >= 20 ms).
Run it with the thread count in the environment, and OpenBLAS's Haswell override removed so it uses AVX-512:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 gemm_peer.py --n 1024 --dtype f32
A fresh Debian/Ubuntu machine gets the same peer with: apt-get install -y python3-numpy libopenblas0-pthread
"""
import argparse
import os
import statistics
import time

import numpy as np


def blas_name():
    """The BLAS NumPy loaded (from this process's memory map) and, for OpenBLAS, the kernel family it chose."""
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1]})
    openblas = [p for p in paths if "libopenblas" in p]
    if not openblas:
        return "+".join(os.path.basename(p) for p in paths) or "unknown"
    import ctypes
    lib = ctypes.CDLL(openblas[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    flavour = "pthread" if "pthread" in openblas[0] or "pthread" in " ".join(paths) else "other"
    return f"openblas-{flavour}:{lib.openblas_get_corename().decode()}"


def measure(n, dtype, clock=time.perf_counter):
    rng = np.random.default_rng(42)
    a = (rng.random((n, n)) - 0.5).astype(dtype)
    b = (rng.random((n, n)) - 0.5).astype(dtype)
    c = np.empty((n, n), dtype=dtype)
    start = clock()
    warm = 0
    while clock() - start < 0.2 and warm < 1000:
        np.matmul(a, b, out=c)
        warm += 1
    per_call = (clock() - start) / warm
    repetitions = max(1, min(100000, int(0.02 / per_call)))
    runs = 3 if per_call > 1 else 5 if per_call > 0.2 else 9
    seconds = []
    for _ in range(runs):
        t0 = clock()
        for _ in range(repetitions):
            np.matmul(a, b, out=c)
        seconds.append((clock() - t0) / repetitions)
    return 2.0 * n ** 3 / statistics.median(seconds) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", required=True)
    parser.add_argument("--dtype", choices=["f32", "f64"], required=True)
    parser.add_argument("--clock", choices=["wall", "thread"], default="wall",
                        help="thread: this thread's CPU time (time.thread_time), which a busy shared machine does not inflate; "
                             "meaningful with OPENBLAS_NUM_THREADS=1 only, where OpenBLAS computes on the calling thread")
    args = parser.parse_args()
    clock = time.thread_time if args.clock == "thread" else time.perf_counter
    dtype = np.float32 if args.dtype == "f32" else np.float64
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "?")
    for n in args.n:
        gflops = measure(n, dtype, clock)
        print(f"name=gemm_numpy dtype={args.dtype} n={n} threads={threads} gflops={gflops:.2f} clock={args.clock} blas={blas_name()}", flush=True)


if __name__ == "__main__":
    main()
