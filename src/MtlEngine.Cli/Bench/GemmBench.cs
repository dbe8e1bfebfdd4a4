using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Cli.Bench;

/// <summary>
/// <c>mtl bench gemm</c>: times C = A·B for square n×n row-major matrices and prints one line
/// <c>name=gemm dtype=f32 n=1024 threads=2 gflops=... peak_gflops=... max_rel_err=...</c>.
/// gflops = 2n³ / the median of several timed runs after warm-up; peak_gflops = the FMA throughput of the
/// same number of threads, measured in-process; max_rel_err = the GEMM checksum identity's residual.
/// </summary>
internal static class GemmBench
{
    /// <summary>Runs the benchmark and writes its line; returns the exit code (2 for a user error).</summary>
    public static int Run(int n, string dtype, int threads, string device, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!string.Equals(device, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"bench gemm runs on device 'cpu' only for now (got '{device}'); the GPU GEMM comes later.");
        if (n < 1) throw new ArgumentException($"bench gemm needs --n ≥ 1 (got {n}).");
        if (threads < 1) throw new ArgumentException($"bench gemm needs --threads ≥ 1 (got {threads}).");
        return dtype switch
        {
            "f32" or "float32" or "float" => Measure<float>(n, "f32", threads, output),
            "f64" or "float64" or "double" => Measure<double>(n, "f64", threads, output),
            _ => throw new ArgumentException($"bench gemm --dtype must be f32 or f64 (got '{dtype}')."),
        };
    }

    private static int Measure<T>(int n, string dtype, int threads, TextWriter output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(42);
        var a = new T[n * n];
        var b = new T[n * n];
        var c = new T[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = T.CreateTruncating(random.NextDouble() - 0.5); b[i] = T.CreateTruncating(random.NextDouble() - 0.5); }
        var parallelism = new Parallelism(threads);
        double flops = 2.0 * n * n * n;

        void Once() => Kernels.Gemm.Gemm.Multiply(T.One, new ReadOnlyMatrixSpan<T>(a, n, n), new ReadOnlyMatrixSpan<T>(b, n, n), T.Zero, new MatrixSpan<T>(c, n, n), parallelism);

        double gflops = flops / BenchTiming.MedianSeconds(Once) / 1e9;
        double peak = PeakGflops<T>(threads);
        double error = GemmChecksum.MaxRelativeError(T.One, new ReadOnlyMatrixSpan<T>(a, n, n), new ReadOnlyMatrixSpan<T>(b, n, n), T.Zero,
            new ReadOnlyMatrixSpan<T>(c, n, n), new ReadOnlyMatrixSpan<T>(c, n, n), random);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=gemm dtype={dtype} n={n} threads={threads} gflops={gflops:F2} peak_gflops={peak:F2} max_rel_err={error:E2}"));
        return 0;
    }

    /// <summary>The best of several timings of an FMA loop (16 independent vector accumulators per thread) on <paramref name="threads"/> threads.</summary>
    internal static double PeakGflops<T>(int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const long iterations = 4_000_000;
        int lanes = Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Vector512<T>.Count : Vector256<T>.Count;
        var sums = new double[threads];
        double best = 0;
        for (int trial = 0; trial < 5; trial++)
        {
            var watch = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => sums[t] = FmaLoop<T>(iterations));
            double seconds = watch.Elapsed.TotalSeconds;
            best = Math.Max(best, 2.0 * 16 * lanes * threads * iterations / seconds / 1e9);
        }
        GC.KeepAlive(sums);
        return best;
    }

    /// <summary>16 chains of fused multiply-adds (enough to cover 2 FMA pipes × 4+ cycles of latency); returns their sum.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaLoop<T>(long iterations) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
            return typeof(T) == typeof(float) ? Fma512(iterations, 0.9999999f) : Fma512(iterations, 0.9999999999);
        return typeof(T) == typeof(float) ? Fma256(iterations, 0.9999999f) : Fma256(iterations, 0.9999999999);
    }

    private static double Fma512(long iterations, float scale)
    {
        var m = Vector512.Create(scale);
        var add = Vector512.Create((float)1e-9);
        Vector512<float> x0 = Vector512.Create((float)1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Avx512F.FusedMultiplyAdd(x0, m, add); x1 = Avx512F.FusedMultiplyAdd(x1, m, add); x2 = Avx512F.FusedMultiplyAdd(x2, m, add); x3 = Avx512F.FusedMultiplyAdd(x3, m, add);
            x4 = Avx512F.FusedMultiplyAdd(x4, m, add); x5 = Avx512F.FusedMultiplyAdd(x5, m, add); x6 = Avx512F.FusedMultiplyAdd(x6, m, add); x7 = Avx512F.FusedMultiplyAdd(x7, m, add);
            x8 = Avx512F.FusedMultiplyAdd(x8, m, add); x9 = Avx512F.FusedMultiplyAdd(x9, m, add); x10 = Avx512F.FusedMultiplyAdd(x10, m, add); x11 = Avx512F.FusedMultiplyAdd(x11, m, add);
            x12 = Avx512F.FusedMultiplyAdd(x12, m, add); x13 = Avx512F.FusedMultiplyAdd(x13, m, add); x14 = Avx512F.FusedMultiplyAdd(x14, m, add); x15 = Avx512F.FusedMultiplyAdd(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return Vector512.Sum(sum);
    }

    private static double Fma512(long iterations, double scale)
    {
        var m = Vector512.Create(scale);
        var add = Vector512.Create((double)1e-9);
        Vector512<double> x0 = Vector512.Create((double)1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Avx512F.FusedMultiplyAdd(x0, m, add); x1 = Avx512F.FusedMultiplyAdd(x1, m, add); x2 = Avx512F.FusedMultiplyAdd(x2, m, add); x3 = Avx512F.FusedMultiplyAdd(x3, m, add);
            x4 = Avx512F.FusedMultiplyAdd(x4, m, add); x5 = Avx512F.FusedMultiplyAdd(x5, m, add); x6 = Avx512F.FusedMultiplyAdd(x6, m, add); x7 = Avx512F.FusedMultiplyAdd(x7, m, add);
            x8 = Avx512F.FusedMultiplyAdd(x8, m, add); x9 = Avx512F.FusedMultiplyAdd(x9, m, add); x10 = Avx512F.FusedMultiplyAdd(x10, m, add); x11 = Avx512F.FusedMultiplyAdd(x11, m, add);
            x12 = Avx512F.FusedMultiplyAdd(x12, m, add); x13 = Avx512F.FusedMultiplyAdd(x13, m, add); x14 = Avx512F.FusedMultiplyAdd(x14, m, add); x15 = Avx512F.FusedMultiplyAdd(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return Vector512.Sum(sum);
    }

    private static double Fma256(long iterations, float scale)
    {
        var m = Vector256.Create(scale);
        var add = Vector256.Create((float)1e-9);
        Vector256<float> x0 = Vector256.Create((float)1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma.MultiplyAdd(x0, m, add); x1 = Fma.MultiplyAdd(x1, m, add); x2 = Fma.MultiplyAdd(x2, m, add); x3 = Fma.MultiplyAdd(x3, m, add);
            x4 = Fma.MultiplyAdd(x4, m, add); x5 = Fma.MultiplyAdd(x5, m, add); x6 = Fma.MultiplyAdd(x6, m, add); x7 = Fma.MultiplyAdd(x7, m, add);
            x8 = Fma.MultiplyAdd(x8, m, add); x9 = Fma.MultiplyAdd(x9, m, add); x10 = Fma.MultiplyAdd(x10, m, add); x11 = Fma.MultiplyAdd(x11, m, add);
            x12 = Fma.MultiplyAdd(x12, m, add); x13 = Fma.MultiplyAdd(x13, m, add); x14 = Fma.MultiplyAdd(x14, m, add); x15 = Fma.MultiplyAdd(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return Vector256.Sum(sum);
    }

    private static double Fma256(long iterations, double scale)
    {
        var m = Vector256.Create(scale);
        var add = Vector256.Create((double)1e-9);
        Vector256<double> x0 = Vector256.Create((double)1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma.MultiplyAdd(x0, m, add); x1 = Fma.MultiplyAdd(x1, m, add); x2 = Fma.MultiplyAdd(x2, m, add); x3 = Fma.MultiplyAdd(x3, m, add);
            x4 = Fma.MultiplyAdd(x4, m, add); x5 = Fma.MultiplyAdd(x5, m, add); x6 = Fma.MultiplyAdd(x6, m, add); x7 = Fma.MultiplyAdd(x7, m, add);
            x8 = Fma.MultiplyAdd(x8, m, add); x9 = Fma.MultiplyAdd(x9, m, add); x10 = Fma.MultiplyAdd(x10, m, add); x11 = Fma.MultiplyAdd(x11, m, add);
            x12 = Fma.MultiplyAdd(x12, m, add); x13 = Fma.MultiplyAdd(x13, m, add); x14 = Fma.MultiplyAdd(x14, m, add); x15 = Fma.MultiplyAdd(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return Vector256.Sum(sum);
    }
}
