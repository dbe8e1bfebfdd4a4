#!/usr/bin/python3
"""PyTorch (cuBLAS) peer of `mtl bench gemm --device cuda`: times C = A @ B for square n x n matrices on the GPU.

Prints one line per n in the same key=value form as `mtl bench gemm --device cuda`:
    name=gemm_torch dtype=f32 n=4096 threads=1 device=cuda gflops=... peak_gflops=nan max_rel_err=... blas=cublas tf32=off
float32 runs with TF32 off (torch.backends.cuda.matmul.allow_tf32 = False), so cuBLAS does true FP32 FMAs like the
engine's kernel. gflops = 2 n^3 / the median of several timed runs after warm-up; each run repeats the product until
it lasts >= 20 ms and ends with torch.cuda.synchronize() (transfers are not timed). max_rel_err is the same checksum
identity as the engine's (C t vs A (B t) for a random t, in float64, relative to |A| (|B| |t|)).
Needs a machine with an NVIDIA GPU and a CUDA build of PyTorch:
    /usr/bin/python3 gemm_gpu_peer.py --n 1024 4096 --dtype f32
"""
import argparse
import statistics
import time

import torch


def checksum_error(a, b, c, generator):
    """max_i |(C t)_i - (A (B t))_i| / (|A| (|B| |t|))_i in float64, t uniform in [0.5, 1.5)."""
    n = c.shape[1]
    t = torch.rand(n, 1, dtype=torch.float64, device=c.device, generator=generator) + 0.5
    a64, b64, c64 = a.double(), b.double(), c.double()
    residual = (c64 @ t - a64 @ (b64 @ t)).abs()
    bound = a64.abs() @ (b64.abs() @ t)
    return (residual / bound.clamp_min(torch.finfo(torch.float64).tiny)).max().item()


def measure(n, dtype, device):
    generator = torch.Generator(device=device).manual_seed(42)
    a = torch.rand(n, n, dtype=dtype, device=device, generator=generator) - 0.5
    b = torch.rand(n, n, dtype=dtype, device=device, generator=generator) - 0.5
    c = torch.empty(n, n, dtype=dtype, device=device)

    def once():
        torch.matmul(a, b, out=c)
        torch.cuda.synchronize()

    once()  # cuBLAS handle, kernel selection
    start = time.perf_counter()
    warm = 0
    while time.perf_counter() - start < 0.2 and warm < 1000:
        once()
        warm += 1
    per_call = (time.perf_counter() - start) / warm
    repetitions = max(1, min(100000, int(0.02 / per_call)))
    runs = 3 if per_call > 1 else 5 if per_call > 0.2 else 9
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(repetitions):
            once()
        seconds.append((time.perf_counter() - t0) / repetitions)
    return 2.0 * n ** 3 / statistics.median(seconds) / 1e9, checksum_error(a, b, c, generator)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", required=True)
    parser.add_argument("--dtype", choices=["f32", "f64"], required=True)
    parser.add_argument("--device", default="cuda", help="a CUDA device, e.g. cuda or cuda:1")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gemm_gpu_peer.py needs an NVIDIA GPU with a CUDA build of PyTorch (torch.cuda.is_available() is False).")
    torch.backends.cuda.matmul.allow_tf32 = False  # true FP32, as the engine's kernel
    torch.backends.cudnn.allow_tf32 = False
    dtype = torch.float32 if args.dtype == "f32" else torch.float64
    for n in args.n:
        gflops, error = measure(n, dtype, args.device)
        print(f"name=gemm_torch dtype={args.dtype} n={n} threads=1 device={args.device} gflops={gflops:.2f} "
              f"peak_gflops=nan max_rel_err={error:.2E} blas=cublas tf32=off")


if __name__ == "__main__":
    main()
