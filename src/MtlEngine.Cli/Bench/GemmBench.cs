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
        // A factor just below 1 keeps the chains finite over millions of iterations.
        T scale = typeof(T) == typeof(float) ? T.CreateTruncating(0.9999999f) : T.CreateTruncating(0.9999999999);
        return Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Fma512(iterations, scale) : Fma256(iterations, scale);
    }

    private static double Fma512<T>(long iterations, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector512.Create(scale);
        var add = Vector512.Create(T.CreateTruncating(1e-9));
        Vector512<T> x0 = Vector512<T>.One, x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma(x0, m, add); x1 = Fma(x1, m, add); x2 = Fma(x2, m, add); x3 = Fma(x3, m, add);
            x4 = Fma(x4, m, add); x5 = Fma(x5, m, add); x6 = Fma(x6, m, add); x7 = Fma(x7, m, add);
            x8 = Fma(x8, m, add); x9 = Fma(x9, m, add); x10 = Fma(x10, m, add); x11 = Fma(x11, m, add);
            x12 = Fma(x12, m, add); x13 = Fma(x13, m, add); x14 = Fma(x14, m, add); x15 = Fma(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return double.CreateTruncating(Vector512.Sum(sum));
    }

    private static double Fma256<T>(long iterations, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector256.Create(scale);
        var add = Vector256.Create(T.CreateTruncating(1e-9));
        Vector256<T> x0 = Vector256<T>.One, x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0, x12 = x0, x13 = x0, x14 = x0, x15 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma(x0, m, add); x1 = Fma(x1, m, add); x2 = Fma(x2, m, add); x3 = Fma(x3, m, add);
            x4 = Fma(x4, m, add); x5 = Fma(x5, m, add); x6 = Fma(x6, m, add); x7 = Fma(x7, m, add);
            x8 = Fma(x8, m, add); x9 = Fma(x9, m, add); x10 = Fma(x10, m, add); x11 = Fma(x11, m, add);
            x12 = Fma(x12, m, add); x13 = Fma(x13, m, add); x14 = Fma(x14, m, add); x15 = Fma(x15, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
        return double.CreateTruncating(Vector256.Sum(sum));
    }

    /// <summary>One fused multiply-add instruction per vector (the type test is folded away per instantiation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc cref="Fma{T}(Vector512{T}, Vector512{T}, Vector512{T})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}
