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
/// same number of threads on the instruction set the GEMM runs (<see cref="GemmInstructionSets.Best"/>), measured in-process,
/// peak_fraction = gflops / peak_gflops, peak_gflops_1t = the same peak on one thread; isa, uarch and cpu name the
/// instruction set, the <see cref="Microarchitecture"/> the block sizes were chosen for, the processor's brand string and its
/// CPUID display family and model (hex);
/// max_rel_err = the GEMM checksum identity's residual. The AVX2 path of an AVX-512 machine (the Zen 3 kernels) is
/// measured by switching AVX-512 off in the runtime: <c>DOTNET_EnableAVX512=0 mtl bench gemm ...</c>.
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
        var set = GemmInstructionSets.Best;
        double peak = PeakGflops<T>(threads, set);
        double peakOne = threads == 1 ? peak : PeakGflops<T>(1, set);
        double error = GemmChecksum.MaxRelativeError(T.One, new ReadOnlyMatrixSpan<T>(a, n, n), new ReadOnlyMatrixSpan<T>(b, n, n), T.Zero,
            new ReadOnlyMatrixSpan<T>(c, n, n), new ReadOnlyMatrixSpan<T>(c, n, n), random);
        var cpu = CpuDescription.Current;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"name=gemm dtype={dtype} n={n} threads={threads} gflops={gflops:F2} peak_gflops={peak:F2} peak_fraction={gflops / peak:F3} peak_gflops_1t={peakOne:F2} isa={IsaName<T>(set)} uarch={cpu.Kind} cpu={cpu.ModelToken} cpuid={cpu.Family:X2}_{cpu.ModelNumber:X2} max_rel_err={error:E2}"));
        return 0;
    }

    /// <summary>
    /// The FMA peak of <paramref name="threads"/> threads on the instruction set <paramref name="set"/>: the best of many
    /// short timings of a loop of independent fused multiply-add chains, each thread its own loop. A core with two FMA
    /// pipes of four cycles' latency needs at least 8 chains in flight; the loop keeps 16 in zmm registers (32 of them)
    /// for AVX-512, 12 in ymm registers for AVX2 (16 registers: 12 chains, the multiplier and the addend; the former
    /// 16-chain AVX2 loop left no register for the two constants and read 58 GFLOPS on a Zen 3 core whose GEMM reached
    /// 87), and 8 <see cref="Vector{T}"/> chains elsewhere. Every loop is compiled optimized from its first call.
    /// Each thread times its own loop by the CPU time it ran (<see cref="ThreadCpuSeconds"/>, where the system tells it),
    /// so time the thread spent preempted on a busy machine does not lower the peak (under load average 27 on 2 cores
    /// the wall-clock loop read 80 instead of 219 GFLOPS for AVX-512 on one Zen 5 core); the peak is the sum of the
    /// threads' rates, each thread on a core of its own. Checked on the 2-core Zen 5 (in-process, thread CPU time, best of
    /// 15): double 16 and 24 chains both 107–108 GFLOPS, 16 chains whose addend is broadcast from memory (as the GEMM
    /// kernels load A) the same, 8 chains 104; a chain of dependent integer adds and xors timed alongside ran at 3.30–3.45
    /// GHz, so the loop reads 31.3–32.8 double flops per cycle: both 512-bit FMA pipes of a Zen 5 core, full, the true peak.
    /// </summary>
    internal static double PeakGflops<T>(int threads, GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const long iterations = 2_000_000;
        var (lanes, chains) = PeakShape<T>(set);
        var sums = new double[threads];
        var rates = new double[threads];
        double best = 0;
        // Short trials (a few ms each) for a quarter of a second, at least 7: on a shared machine the best one is the
        // one that ran undisturbed.
        var budget = Stopwatch.StartNew();
        for (int trial = 0; trial < 7 || budget.Elapsed.TotalSeconds < 0.25; trial++)
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var wall = Stopwatch.StartNew();
                double? cpu0 = ThreadCpuSeconds();
                sums[t] = FmaLoop<T>(iterations, set);
                double? cpu1 = ThreadCpuSeconds();
                double seconds = cpu0 is double start && cpu1 is double end && end > start ? end - start : wall.Elapsed.TotalSeconds;
                rates[t] = 2.0 * chains * lanes * iterations / seconds / 1e9;
            });
            best = Math.Max(best, rates.Sum());
        }
        GC.KeepAlive(sums);
        return best;
    }

    /// <summary>The CPU time the calling thread has run, in seconds (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)); null
    /// where the system does not tell it (then the peak loop falls back to the wall clock).</summary>
    internal static double? ThreadCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return ClockGetTime(ThreadCpuTimeClock, out var time) == 0 ? time.Seconds + time.Nanoseconds * 1e-9 : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private struct TimeSpec { public long Seconds, Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Lanes per vector and independent chains of the peak loop for <paramref name="set"/>.</summary>
    internal static (int Lanes, int Chains) PeakShape<T>(GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T> => set switch
    {
        GemmInstructionSet.Avx512 => (Vector512<T>.Count, 16),
        GemmInstructionSet.Avx2 => (Vector256<T>.Count, 12),
        _ => (Vector<T>.Count, 8),
    };

    /// <summary>The instruction set's name in bench output: avx512, avx2 (with FMA3) or portable (Vector&lt;T&gt; of the given bits).</summary>
    internal static string IsaName<T>(GemmInstructionSet set) where T : unmanaged => set switch
    {
        GemmInstructionSet.Avx512 => "avx512",
        GemmInstructionSet.Avx2 => "avx2",
        _ => $"portable{Vector<T>.Count * Unsafe.SizeOf<T>() * 8}",
    };

    /// <summary>One thread's loop of independent fused multiply-add chains; returns their sum (so the loop is not removed).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static double FmaLoop<T>(long iterations, GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A factor just below 1 keeps the chains finite over millions of iterations.
        T scale = typeof(T) == typeof(float) ? T.CreateTruncating(0.9999999f) : T.CreateTruncating(0.9999999999);
        return set switch
        {
            GemmInstructionSet.Avx512 => Fma512(iterations, scale),
            GemmInstructionSet.Avx2 => Fma256(iterations, scale),
            _ => FmaPortable(iterations, scale),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double Fma256<T>(long iterations, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = Vector256.Create(scale);
        var add = Vector256.Create(T.CreateTruncating(1e-9));
        Vector256<T> x0 = Vector256<T>.One, x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0,
            x8 = x0, x9 = x0, x10 = x0, x11 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = Fma(x0, m, add); x1 = Fma(x1, m, add); x2 = Fma(x2, m, add); x3 = Fma(x3, m, add);
            x4 = Fma(x4, m, add); x5 = Fma(x5, m, add); x6 = Fma(x6, m, add); x7 = Fma(x7, m, add);
            x8 = Fma(x8, m, add); x9 = Fma(x9, m, add); x10 = Fma(x10, m, add); x11 = Fma(x11, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11));
        return double.CreateTruncating(Vector256.Sum(sum));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double FmaPortable<T>(long iterations, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new Vector<T>(scale);
        var add = new Vector<T>(T.CreateTruncating(1e-9));
        Vector<T> x0 = Vector<T>.One, x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0, x6 = x0, x7 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = FmaV(x0, m, add); x1 = FmaV(x1, m, add);
            x2 = FmaV(x2, m, add); x3 = FmaV(x3, m, add);
            x4 = FmaV(x4, m, add); x5 = FmaV(x5, m, add);
            x6 = FmaV(x6, m, add); x7 = FmaV(x7, m, add);
        }
        var sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));
        return double.CreateTruncating(Vector.Sum(sum));
    }

    /// <summary>A fused multiply-add of <see cref="Vector{T}"/> (one instruction where the hardware has it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> FmaV<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector.FusedMultiplyAdd(Vector.As<T, float>(a), Vector.As<T, float>(b), Vector.As<T, float>(c)).As<float, T>()
            : Vector.FusedMultiplyAdd(Vector.As<T, double>(a), Vector.As<T, double>(b), Vector.As<T, double>(c)).As<double, T>();

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
