using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

// AVX-512F microkernels (32 zmm registers). Each k step broadcasts MR values of A and loads NR/W vectors of B,
// then issues MR·NR/W fused multiply-adds into accumulators that never leave registers.
// Each k step of a full tile also prefetches one line of the next A micro-panel (a + kc·MR: the next row panel of the
// packed block) into L2. In the resident-A order A's block lives in L3 (5 MiB for double at n = 2048), so the first
// tile of each row panel read its A micro-panel from L3; with the prefetch it comes from L2 (in BLIS's order it is
// there already: one more prefetch per 24 FMAs). Measured on the 2-core Zen 5 with its resident-A rows' NC halved
// (GemmBlockSizes; in-process, old and new alternating, median of paired ratios of thread CPU time, load average 6–12):
// double n = 2048 / 1024 / 512 1.060 / 1.046 / 1.018 (11/25/41 pairs; n = 512 runs BLIS's order), float 1.041 / 1.025 /
// 1.005; 2 threads n = 2048 (process CPU time) double 1.10, float 1.04.

/// <summary>float 12×32: 24 zmm accumulators, broadcast A, two loads of B per k (2 + 24 + 1 of 32 registers).</summary>
internal readonly unsafe struct Avx512Float12x32 : IMicrokernel<float>
{
    /// <inheritdoc />
    public static int MR => 12;
    /// <inheritdoc />
    public static int NR => 32;

    /// <inheritdoc />
    public static int ShortMR => 4;

    /// <summary>
    /// How many k steps ahead the k loop prefetches B's micro-panel into L1: 8 (1 KiB ahead). In the resident-A order B
    /// streams from L2 at two lines per k step, and cpu-clock samples piled up on the first FMAs after B's loads (a
    /// quarter of the kernel's samples on 6 of its 40 instructions). With the C tile's prefetch moved to the end of the
    /// k loop (<see cref="CPrefetchSteps"/>), measured on Emerald Rapids (thread CPU time on 1 thread, wall time on 2, the
    /// old and new kernel interleaved in one process, median of 12–60 paired ratios on a machine at load average 40–70):
    /// 1 thread 1.02 / 1.03 / 1.02, 2 threads 1.06 / 1.03 / 1.01 at n = 512 / 1024 / 2048; prefetching 4 or 16 steps
    /// ahead, or C into L2 early and into L1 late, did no better.
    /// </summary>
    private const int PrefetchSteps = 8;

    /// <summary>The C tile is prefetched this many k steps (about 300 cycles) before the end of the k loop, not at its start:
    /// prefetched before the first step, its lines were evicted again by the B micro-panel streaming through L1 (up to
    /// 40 KiB per call) before the final update needed them.</summary>
    private const int CPrefetchSteps = 24;

    /// <summary>float 4×32 (8 accumulators, two loads of B per k) for the last row panel when it has at most 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunShort(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(ai, b1, c3_1);
            a += 12;
            b += ldb;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc + 0); (va * c0_1).Store(c + 0 * ldc + 16);
            (va * c1_0).Store(c + 1 * ldc + 0); (va * c1_1).Store(c + 1 * ldc + 16);
            (va * c2_0).Store(c + 2 * ldc + 0); (va * c2_1).Store(c + 2 * ldc + 16);
            (va * c3_0).Store(c + 3 * ldc + 0); (va * c3_1).Store(c + 3 * ldc + 16);
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.FusedMultiplyAdd(va, c0_0, vb * Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c0_1, vb * Vector512.Load(c + 0 * ldc + 16)).Store(c + 0 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c1_0, vb * Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c1_1, vb * Vector512.Load(c + 1 * ldc + 16)).Store(c + 1 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c2_0, vb * Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c2_1, vb * Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c3_0, vb * Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c3_1, vb * Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default, c0_1 = default;
        Vector512<float> c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default;
        Vector512<float> c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default;
        Vector512<float> c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default;
        Vector512<float> c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default;
        Vector512<float> c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default;
        Vector512<float> c11_0 = default, c11_1 = default;
        // One k loop; CPrefetchSteps steps before its end (at p == early) it prefetches the C tile for the final update.
        int early = Math.Max(0, kc - CPrefetchSteps);
        float* aNext = a + kc * 12;
        for (int p = 0; p < kc; p++)
        {
            if (p == early)
            {
                for (int r = 0; r < 12; r++) { Sse.Prefetch0(c + r * ldc); Sse.Prefetch0(c + r * ldc + 16); }
            }
            Vector512<float> b0 = Vector512.Load(b + 0);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Sse.Prefetch0(b + PrefetchSteps * ldb); Sse.Prefetch0(b + PrefetchSteps * ldb + 16);
            Sse.Prefetch1(aNext); aNext += 12;
            Vector512<float> ai;
            ai = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(ai, b1, c7_1);
            ai = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(ai, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(ai, b1, c8_1);
            ai = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(ai, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(ai, b1, c9_1);
            ai = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(ai, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(ai, b1, c10_1);
            ai = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(ai, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(ai, b1, c11_1);
            a += 12;
            b += ldb;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc + 0); (va * c0_1).Store(c + 0 * ldc + 16);
            (va * c1_0).Store(c + 1 * ldc + 0); (va * c1_1).Store(c + 1 * ldc + 16);
            (va * c2_0).Store(c + 2 * ldc + 0); (va * c2_1).Store(c + 2 * ldc + 16);
            (va * c3_0).Store(c + 3 * ldc + 0); (va * c3_1).Store(c + 3 * ldc + 16);
            (va * c4_0).Store(c + 4 * ldc + 0); (va * c4_1).Store(c + 4 * ldc + 16);
            (va * c5_0).Store(c + 5 * ldc + 0); (va * c5_1).Store(c + 5 * ldc + 16);
            (va * c6_0).Store(c + 6 * ldc + 0); (va * c6_1).Store(c + 6 * ldc + 16);
            (va * c7_0).Store(c + 7 * ldc + 0); (va * c7_1).Store(c + 7 * ldc + 16);
            (va * c8_0).Store(c + 8 * ldc + 0); (va * c8_1).Store(c + 8 * ldc + 16);
            (va * c9_0).Store(c + 9 * ldc + 0); (va * c9_1).Store(c + 9 * ldc + 16);
            (va * c10_0).Store(c + 10 * ldc + 0); (va * c10_1).Store(c + 10 * ldc + 16);
            (va * c11_0).Store(c + 11 * ldc + 0); (va * c11_1).Store(c + 11 * ldc + 16);
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.FusedMultiplyAdd(va, c0_0, vb * Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c0_1, vb * Vector512.Load(c + 0 * ldc + 16)).Store(c + 0 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c1_0, vb * Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c1_1, vb * Vector512.Load(c + 1 * ldc + 16)).Store(c + 1 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c2_0, vb * Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c2_1, vb * Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c3_0, vb * Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c3_1, vb * Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c4_0, vb * Vector512.Load(c + 4 * ldc + 0)).Store(c + 4 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c4_1, vb * Vector512.Load(c + 4 * ldc + 16)).Store(c + 4 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c5_0, vb * Vector512.Load(c + 5 * ldc + 0)).Store(c + 5 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c5_1, vb * Vector512.Load(c + 5 * ldc + 16)).Store(c + 5 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c6_0, vb * Vector512.Load(c + 6 * ldc + 0)).Store(c + 6 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c6_1, vb * Vector512.Load(c + 6 * ldc + 16)).Store(c + 6 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c7_0, vb * Vector512.Load(c + 7 * ldc + 0)).Store(c + 7 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c7_1, vb * Vector512.Load(c + 7 * ldc + 16)).Store(c + 7 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c8_0, vb * Vector512.Load(c + 8 * ldc + 0)).Store(c + 8 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c8_1, vb * Vector512.Load(c + 8 * ldc + 16)).Store(c + 8 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c9_0, vb * Vector512.Load(c + 9 * ldc + 0)).Store(c + 9 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c9_1, vb * Vector512.Load(c + 9 * ldc + 16)).Store(c + 9 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c10_0, vb * Vector512.Load(c + 10 * ldc + 0)).Store(c + 10 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c10_1, vb * Vector512.Load(c + 10 * ldc + 16)).Store(c + 10 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c11_0, vb * Vector512.Load(c + 11 * ldc + 0)).Store(c + 11 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c11_1, vb * Vector512.Load(c + 11 * ldc + 16)).Store(c + 11 * ldc + 16);
        }
    }
}

/// <summary>double 8×24: 24 zmm accumulators, broadcast A, three loads of B per k.</summary>
internal readonly unsafe struct Avx512Double8x24 : IMicrokernel<double>
{
    /// <inheritdoc />
    public static int MR => 8;
    /// <inheritdoc />
    public static int NR => 24;

    /// <inheritdoc />
    public static int NarrowNR => 16;

    /// <summary>
    /// How many k steps ahead the k loop prefetches B's micro-panel into L1: 8 (1.5 KiB ahead). In the resident-A order B
    /// streams from L2 at three lines per k step, more than the L1 next-line prefetcher keeps ahead of; measured (Emerald
    /// Rapids, 1 thread, thread CPU time, alternating) 72–73 against 69–71 GFLOPS at n = 384, 64–67 against 61–64 at n = 1024
    /// and 2048. Moving the C tile's prefetch to the end of the k loop (as the float kernel does), or prefetching 4 or 16
    /// steps ahead, measured no gain there (paired ratios 0.96–1.02); on Zen 5 the prefetch at the end measured 1.007 over
    /// the one at the start (with the next-A prefetch, n = 2048, 9 pairs), and 4, 12 or 16 steps ahead 0.99.
    /// </summary>
    private const int PrefetchSteps = 8;

    /// <summary>
    /// How many k steps ahead the k loop prefetches A's micro-panel into L1: 16 (one 64-byte line per k step, 1 KiB ahead).
    /// The A micro-panel is meant to stay in L1 across the tiles of a row (the resident-A order), but one tile streams
    /// kc·(8 + 24)·8 bytes (73 KiB at kc = 293) through a 48 KiB L1, so A's lines are gone again by the next tile and came
    /// from L2 unprefetched: cpu-clock samples piled up on the first FMAs after the broadcasts of A (8 % each on the first
    /// two of 24). Measured on Emerald Rapids (1 thread, thread CPU time, old and new kernel interleaved in one process,
    /// median of paired ratios, load average 30–50): 1.08 at n = 2048 (25 pairs), 1.05 at n = 1024 (60 pairs); 8 steps
    /// ahead 1.05 and 1.05. In the generic order (A streams from L2 by design) 1.035 at n = 2048.
    /// </summary>
    private const int APrefetchSteps = 16;

    /// <summary>The C tile is prefetched this many k steps before the end of the k loop, as in the float kernel (12 or 48
    /// steps: 0.965 and 0.962 of 24 on Zen 5, n = 2048; no C prefetch 0.96).</summary>
    private const int CPrefetchSteps = 24;

    /// <summary>double 8×16 (16 accumulators, two loads of B per k) for the last column panel when it has at most 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunNarrow(int kc, double* a, double* b, nint ldb, double* c, nint ldc, double alpha, double beta)
    {
        Vector512<double> c0_0 = default, c0_1 = default;
        Vector512<double> c1_0 = default, c1_1 = default;
        Vector512<double> c2_0 = default, c2_1 = default;
        Vector512<double> c3_0 = default, c3_1 = default;
        Vector512<double> c4_0 = default, c4_1 = default;
        Vector512<double> c5_0 = default, c5_1 = default;
        Vector512<double> c6_0 = default, c6_1 = default;
        Vector512<double> c7_0 = default, c7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<double> b0 = Vector512.Load(b + 0);
            Vector512<double> b1 = Vector512.Load(b + 8);
            Vector512<double> ai;
            ai = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(ai, b1, c0_1);
            ai = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(ai, b1, c1_1);
            ai = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(ai, b1, c2_1);
            ai = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(ai, b1, c3_1);
            ai = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(ai, b1, c4_1);
            ai = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(ai, b1, c5_1);
            ai = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(ai, b1, c6_1);
            ai = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(ai, b1, c7_1);
            a += 8;
            b += ldb;
        }
        Vector512<double> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc + 0); (va * c0_1).Store(c + 0 * ldc + 8);
            (va * c1_0).Store(c + 1 * ldc + 0); (va * c1_1).Store(c + 1 * ldc + 8);
            (va * c2_0).Store(c + 2 * ldc + 0); (va * c2_1).Store(c + 2 * ldc + 8);
            (va * c3_0).Store(c + 3 * ldc + 0); (va * c3_1).Store(c + 3 * ldc + 8);
            (va * c4_0).Store(c + 4 * ldc + 0); (va * c4_1).Store(c + 4 * ldc + 8);
            (va * c5_0).Store(c + 5 * ldc + 0); (va * c5_1).Store(c + 5 * ldc + 8);
            (va * c6_0).Store(c + 6 * ldc + 0); (va * c6_1).Store(c + 6 * ldc + 8);
            (va * c7_0).Store(c + 7 * ldc + 0); (va * c7_1).Store(c + 7 * ldc + 8);
        }
        else
        {
            Vector512<double> vb = Vector512.Create(beta);
            Avx512F.FusedMultiplyAdd(va, c0_0, vb * Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c0_1, vb * Vector512.Load(c + 0 * ldc + 8)).Store(c + 0 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c1_0, vb * Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c1_1, vb * Vector512.Load(c + 1 * ldc + 8)).Store(c + 1 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c2_0, vb * Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c2_1, vb * Vector512.Load(c + 2 * ldc + 8)).Store(c + 2 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c3_0, vb * Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c3_1, vb * Vector512.Load(c + 3 * ldc + 8)).Store(c + 3 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c4_0, vb * Vector512.Load(c + 4 * ldc + 0)).Store(c + 4 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c4_1, vb * Vector512.Load(c + 4 * ldc + 8)).Store(c + 4 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c5_0, vb * Vector512.Load(c + 5 * ldc + 0)).Store(c + 5 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c5_1, vb * Vector512.Load(c + 5 * ldc + 8)).Store(c + 5 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c6_0, vb * Vector512.Load(c + 6 * ldc + 0)).Store(c + 6 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c6_1, vb * Vector512.Load(c + 6 * ldc + 8)).Store(c + 6 * ldc + 8);
            Avx512F.FusedMultiplyAdd(va, c7_0, vb * Vector512.Load(c + 7 * ldc + 0)).Store(c + 7 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c7_1, vb * Vector512.Load(c + 7 * ldc + 8)).Store(c + 7 * ldc + 8);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, double* a, double* b, nint ldb, double* c, nint ldc, double alpha, double beta)
    {
        Vector512<double> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<double> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<double> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<double> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<double> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<double> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<double> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<double> c7_0 = default, c7_1 = default, c7_2 = default;
        // One k loop; CPrefetchSteps steps before its end (at p == early) it prefetches the C tile for the final update.
        int early = Math.Max(0, kc - CPrefetchSteps);
        double* aNext = a + kc * 8;
        for (int p = 0; p < kc; p++)
        {
            if (p == early)
            {
                for (int r = 0; r < 8; r++) { Sse.Prefetch0(c + r * ldc); Sse.Prefetch0(c + r * ldc + 8); Sse.Prefetch0(c + r * ldc + 16); }
            }
            Vector512<double> b0 = Vector512.Load(b + 0);
            Vector512<double> b1 = Vector512.Load(b + 8);
            Vector512<double> b2 = Vector512.Load(b + 16);
            Sse.Prefetch0(b + PrefetchSteps * ldb); Sse.Prefetch0(b + PrefetchSteps * ldb + 8); Sse.Prefetch0(b + PrefetchSteps * ldb + 16);
            Sse.Prefetch0(a + APrefetchSteps * 8);
            Sse.Prefetch1(aNext); aNext += 8;
            Vector512<double> ai;
            ai = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(ai, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(ai, b1, c0_1); c0_2 = Avx512F.FusedMultiplyAdd(ai, b2, c0_2);
            ai = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(ai, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(ai, b1, c1_1); c1_2 = Avx512F.FusedMultiplyAdd(ai, b2, c1_2);
            ai = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(ai, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(ai, b1, c2_1); c2_2 = Avx512F.FusedMultiplyAdd(ai, b2, c2_2);
            ai = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(ai, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(ai, b1, c3_1); c3_2 = Avx512F.FusedMultiplyAdd(ai, b2, c3_2);
            ai = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(ai, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(ai, b1, c4_1); c4_2 = Avx512F.FusedMultiplyAdd(ai, b2, c4_2);
            ai = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(ai, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(ai, b1, c5_1); c5_2 = Avx512F.FusedMultiplyAdd(ai, b2, c5_2);
            ai = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(ai, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(ai, b1, c6_1); c6_2 = Avx512F.FusedMultiplyAdd(ai, b2, c6_2);
            ai = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(ai, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(ai, b1, c7_1); c7_2 = Avx512F.FusedMultiplyAdd(ai, b2, c7_2);
            a += 8;
            b += ldb;
        }
        Vector512<double> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            (va * c0_0).Store(c + 0 * ldc + 0); (va * c0_1).Store(c + 0 * ldc + 8); (va * c0_2).Store(c + 0 * ldc + 16);
            (va * c1_0).Store(c + 1 * ldc + 0); (va * c1_1).Store(c + 1 * ldc + 8); (va * c1_2).Store(c + 1 * ldc + 16);
            (va * c2_0).Store(c + 2 * ldc + 0); (va * c2_1).Store(c + 2 * ldc + 8); (va * c2_2).Store(c + 2 * ldc + 16);
            (va * c3_0).Store(c + 3 * ldc + 0); (va * c3_1).Store(c + 3 * ldc + 8); (va * c3_2).Store(c + 3 * ldc + 16);
            (va * c4_0).Store(c + 4 * ldc + 0); (va * c4_1).Store(c + 4 * ldc + 8); (va * c4_2).Store(c + 4 * ldc + 16);
            (va * c5_0).Store(c + 5 * ldc + 0); (va * c5_1).Store(c + 5 * ldc + 8); (va * c5_2).Store(c + 5 * ldc + 16);
            (va * c6_0).Store(c + 6 * ldc + 0); (va * c6_1).Store(c + 6 * ldc + 8); (va * c6_2).Store(c + 6 * ldc + 16);
            (va * c7_0).Store(c + 7 * ldc + 0); (va * c7_1).Store(c + 7 * ldc + 8); (va * c7_2).Store(c + 7 * ldc + 16);
        }
        else
        {
            Vector512<double> vb = Vector512.Create(beta);
            Avx512F.FusedMultiplyAdd(va, c0_0, vb * Vector512.Load(c + 0 * ldc + 0)).Store(c + 0 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c0_1, vb * Vector512.Load(c + 0 * ldc + 8)).Store(c + 0 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c0_2, vb * Vector512.Load(c + 0 * ldc + 16)).Store(c + 0 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c1_0, vb * Vector512.Load(c + 1 * ldc + 0)).Store(c + 1 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c1_1, vb * Vector512.Load(c + 1 * ldc + 8)).Store(c + 1 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c1_2, vb * Vector512.Load(c + 1 * ldc + 16)).Store(c + 1 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c2_0, vb * Vector512.Load(c + 2 * ldc + 0)).Store(c + 2 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c2_1, vb * Vector512.Load(c + 2 * ldc + 8)).Store(c + 2 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c2_2, vb * Vector512.Load(c + 2 * ldc + 16)).Store(c + 2 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c3_0, vb * Vector512.Load(c + 3 * ldc + 0)).Store(c + 3 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c3_1, vb * Vector512.Load(c + 3 * ldc + 8)).Store(c + 3 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c3_2, vb * Vector512.Load(c + 3 * ldc + 16)).Store(c + 3 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c4_0, vb * Vector512.Load(c + 4 * ldc + 0)).Store(c + 4 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c4_1, vb * Vector512.Load(c + 4 * ldc + 8)).Store(c + 4 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c4_2, vb * Vector512.Load(c + 4 * ldc + 16)).Store(c + 4 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c5_0, vb * Vector512.Load(c + 5 * ldc + 0)).Store(c + 5 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c5_1, vb * Vector512.Load(c + 5 * ldc + 8)).Store(c + 5 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c5_2, vb * Vector512.Load(c + 5 * ldc + 16)).Store(c + 5 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c6_0, vb * Vector512.Load(c + 6 * ldc + 0)).Store(c + 6 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c6_1, vb * Vector512.Load(c + 6 * ldc + 8)).Store(c + 6 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c6_2, vb * Vector512.Load(c + 6 * ldc + 16)).Store(c + 6 * ldc + 16);
            Avx512F.FusedMultiplyAdd(va, c7_0, vb * Vector512.Load(c + 7 * ldc + 0)).Store(c + 7 * ldc + 0); Avx512F.FusedMultiplyAdd(va, c7_1, vb * Vector512.Load(c + 7 * ldc + 8)).Store(c + 7 * ldc + 8); Avx512F.FusedMultiplyAdd(va, c7_2, vb * Vector512.Load(c + 7 * ldc + 16)).Store(c + 7 * ldc + 16);
        }
    }
}
