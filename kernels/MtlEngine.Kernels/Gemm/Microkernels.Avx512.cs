using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Gemm;

// AVX-512F microkernels (32 zmm registers). Each k step broadcasts MR values of A and loads NR/W vectors of B,
// then issues MR·NR/W fused multiply-adds into accumulators that never leave registers.
// Every tile, float or double, full or edge, is the one body of Avx512Tile.Run, specialized per element type, tile
// shape (IAvx512Tile) and final step (β = 0 or not): the JIT folds the shape's constants, so each compiles to its own
// straight-line k loop over only its accumulators. Its k loops are those of the four hand-written kernels it replaced,
// instruction for instruction (DOTNET_JitDisasm: the same FMAs, loads, broadcasts and prefetches, no spills).
// Each k step of a full tile also prefetches one line of the next A micro-panel (a + kc·MR: the next row panel of the
// packed block) into L2. In the resident-A order A's block lives in L3 (5 MiB for double at n = 2048), so the first
// tile of each row panel read its A micro-panel from L3; with the prefetch it comes from L2 (in BLIS's order it is
// there already: one more prefetch per 24 FMAs). Measured on the 2-core Zen 5 with its resident-A rows' NC halved
// (GemmBlockSizes; in-process, old and new alternating, median of paired ratios of thread CPU time, load average 6–12):
// double n = 2048 / 1024 / 512 1.060 / 1.046 / 1.018 (11/25/41 pairs; n = 512 runs BLIS's order), float 1.041 / 1.025 /
// 1.005; 2 threads n = 2048 (process CPU time) double 1.10, float 1.04.
// Float on Zen 5, tried and not taken (in-process harness calling GemmDriver with each kernel, alternating, median of
// paired ratios of thread CPU time, 1 thread, load average 3–17; n = 1024 and 2048 on the resident-A row at its former
// KC 320 unless said):
// - an 8×48 tile (3 loads of B and 8 broadcasts per k, 24 accumulators; a 4×48 short and an 8×32 narrow tile for the
//   32-column edge that n = 512 and 2048 leave): n = 2048 with NC 288 1.025 (q1 1.001), 384 1.015, 336 0.999;
//   n = 1024 0.993–0.999; with KC 512 n = 1024 0.984 and 0.981 (NC 288, 384), n = 2048 1.010 and 1.000; n = 512
//   (generic row) 1.021, 1.019, 1.024 (q1 1.012–1.015): the one steady gain, there alone, where 512 rows leave the 12-row
//   tile an 8-row edge and 8 rows none. Square n = 64 / 128 / 256 / 384 / 768 measured 0.733 / 1.030 /
//   0.937 / 1.014 / 1.020 (load 3.5; 64 and 256 leave 16 columns to the narrow tile through the scratch tile). Zen 5's
//   generic row picked it by the shape for a while (8×48 where it padded no more than 12×32, m ≥ 64, n ≥ 96; in one
//   process through Gemm.Multiply at n = 512, load 1.1: 1.017 and 1.019), and was reverted: `mtl bench mlp` (1 thread,
//   300 steps; its float products are shallow, so on the generic row), published builds without and with it alternating,
//   8 pairs each, load 1.4–2: with/without median 1.034 (7 of 8 pairs ≥ 1.00), fastest against fastest 1.038; again,
//   noisier, median 0.965 but fastest against fastest 1.030. Whole `mtl bench gemm` n = 512 runs read 0.992–1.019. Neither
//   side settled beyond the machine's speed states; the simpler code stays. A kernel picked by n's remainders (mod 48
//   against mod 32) might keep the in-process gain; the pick would read n, which changes no element's bits.
// - (not taken) an 8-row short tile (16 accumulators) for the 8 rows that 512 = 12·42 + 8 and 2048 = 12·170 + 8 leave (now the full
//   tile into the scratch tile and a merge): n = 512 1.003 and 1.002, 2048 0.998; on 2 threads at n = 1024 it would let
//   each thread take 512 rows (42 tiles + 8 rows; KC 512): its share alone 5.686 ms against 5.710 for today's slower share
//   (508 + 516 rows, GemmDriver.RowShareStart), 0.4 %. Not worth a second short tile in IMicrokernel.
// - prefetch distances at n = 1024 with KC 512 (a copy of the 12×32 tile in the harness, 1.000 of this one): the C
//   tile 48 or 12 steps before the end 0.997 and 0.997 of 24, B 16 steps ahead 0.996 of 8, the next tile's C lines into
//   L2 over the first 24 steps 0.993.
// JitDisasm of the 12×32 k loop: 2 loads of B, 12 vbroadcastss (into one register), 24 vfmadd231ps, 2 prefetcht0 of B,
// 1 prefetcht1 of the next A, and the C prefetch's cmp/jne; no spills. perf (cpu-clock, n = 1024, 1 thread, KC 512):
// the tiles 80 % of the samples, PackA 3.6 %, PackBRows 2.7 %. PackA alone runs at 0.14 ns a value warm (1.3× a row
// memcpy), about 0.5 inside the product, where A comes from L3: what is left there is A's reads.

/// <summary>float 12×32: 24 zmm accumulators, broadcast A, two loads of B per k (2 + 24 + 1 of 32 registers).</summary>
internal readonly unsafe struct Avx512Float12x32 : IMicrokernel<float>
{
    /// <inheritdoc />
    public static int MR => 12;
    /// <inheritdoc />
    public static int NR => 32;

    /// <inheritdoc />
    public static int ShortMR => 4;

    /// <summary>float 4×32 (8 accumulators, two loads of B per k) for the last row panel when it has at most 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunShort(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta) =>
        Avx512Tile.Run<float, Float4x32>(kc, a, b, ldb, c, ldc, alpha, beta);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta) =>
        Avx512Tile.Run<float, Float12x32>(kc, a, b, ldb, c, ldc, alpha, beta);

    private readonly struct Float12x32 : IAvx512Tile
    {
        public static int Rows => 12;
        public static int Vectors => 2;
        public static int AStride => 12;
        public static bool Prefetches => true;
        public static int APrefetchSteps => 0;
    }

    private readonly struct Float4x32 : IAvx512Tile
    {
        public static int Rows => 4;
        public static int Vectors => 2;
        public static int AStride => 12;
        public static bool Prefetches => false;
        public static int APrefetchSteps => 0;
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

    /// <summary>double 8×16 (16 accumulators, two loads of B per k) for the last column panel when it has at most 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunNarrow(int kc, double* a, double* b, nint ldb, double* c, nint ldc, double alpha, double beta) =>
        Avx512Tile.Run<double, Double8x16>(kc, a, b, ldb, c, ldc, alpha, beta);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, double* a, double* b, nint ldb, double* c, nint ldc, double alpha, double beta) =>
        Avx512Tile.Run<double, Double8x24>(kc, a, b, ldb, c, ldc, alpha, beta);

    private readonly struct Double8x24 : IAvx512Tile
    {
        public static int Rows => 8;
        public static int Vectors => 3;
        public static int AStride => 8;
        public static bool Prefetches => true;
        public static int APrefetchSteps => Avx512Tile.DoubleAPrefetchSteps;
    }

    private readonly struct Double8x16 : IAvx512Tile
    {
        public static int Rows => 8;
        public static int Vectors => 2;
        public static int AStride => 8;
        public static bool Prefetches => false;
        public static int APrefetchSteps => 0;
    }
}

/// <summary>The shape of one AVX-512 register tile; constants the JIT folds per struct.</summary>
internal interface IAvx512Tile
{
    /// <summary>Rows of the tile: values of A broadcast per k step (1 to 12).</summary>
    static abstract int Rows { get; }

    /// <summary>512-bit vectors of B loaded per k step (2 or 3): the tile's columns are Vectors·W.</summary>
    static abstract int Vectors { get; }

    /// <summary>Elements of A per k step in the packed micro-panel: the full tile's MR, which a shorter tile's rows keep.</summary>
    static abstract int AStride { get; }

    /// <summary>Whether the k loop prefetches (B ahead, the next A micro-panel into L2, the C tile near the end): the full
    /// tiles do, the edge tiles (a row's or a product's last panel) do not.</summary>
    static abstract bool Prefetches { get; }

    /// <summary>How many k steps ahead the k loop prefetches A's own micro-panel into L1 (0: not at all).</summary>
    static abstract int APrefetchSteps { get; }
}

/// <summary>
/// The k loop of every AVX-512 tile: C[i, j] = α·Σ_p a[p·AStride + i]·b[p·ldb + j] + β·C[i, j] for i &lt; Rows, j &lt;
/// Vectors·W, each sum a chain of fused multiply-adds in k order, then one fused α·sum + β·C (β = 0: C not read).
/// </summary>
internal static unsafe class Avx512Tile
{
    /// <summary>
    /// How many k steps ahead the k loop prefetches B's micro-panel into L1: 8 (1 KiB ahead for float, 1.5 KiB for double).
    /// In the resident-A order B streams from L2 at two (float) or three (double) lines per k step. Float: cpu-clock samples
    /// piled up on the first FMAs after B's loads (a quarter of the kernel's samples on 6 of its 40 instructions); with the C
    /// tile's prefetch moved to the end of the k loop (<see cref="CPrefetchSteps"/>), measured on Emerald Rapids (thread CPU
    /// time on 1 thread, wall time on 2, old and new interleaved in one process, median of 12–60 paired ratios on a machine at
    /// load average 40–70): 1 thread 1.02 / 1.03 / 1.02, 2 threads 1.06 / 1.03 / 1.01 at n = 512 / 1024 / 2048; prefetching 4
    /// or 16 steps ahead, or C into L2 early and into L1 late, did no better. Double (Emerald Rapids, 1 thread, thread CPU
    /// time, alternating): 72–73 against 69–71 GFLOPS at n = 384, 64–67 against 61–64 at n = 1024 and 2048; 4 or 16 steps
    /// ahead no gain (0.96–1.02), nor on Zen 5 (4, 12 or 16 steps 0.99 of 8, n = 2048, 9 pairs).
    /// </summary>
    private const int BPrefetchSteps = 8;

    /// <summary>
    /// The C tile is prefetched this many k steps (about 300 cycles) before the end of the k loop, not at its start:
    /// prefetched before the first step, its lines were evicted again by the B micro-panel streaming through L1 (up to
    /// 60 KiB per call) before the final update needed them. Float on Emerald Rapids as above; double on Zen 5 (with the
    /// next-A prefetch, n = 2048, 9 pairs): 1.007 over the prefetch at the start, 12 or 48 steps 0.965 and 0.962 of 24, no C
    /// prefetch 0.96. On Emerald Rapids the double kernel had measured no gain from the move (0.96–1.02).
    /// </summary>
    private const int CPrefetchSteps = 24;

    /// <summary>
    /// How many k steps ahead the double tile prefetches A's micro-panel into L1: 16 (one 64-byte line per k step, 1 KiB ahead).
    /// The A micro-panel is meant to stay in L1 across the tiles of a row (the resident-A order), but one tile streams
    /// kc·(8 + 24)·8 bytes (73 KiB at kc = 293) through a 48 KiB L1, so A's lines are gone again by the next tile and came
    /// from L2 unprefetched: cpu-clock samples piled up on the first FMAs after the broadcasts of A (8 % each on the first
    /// two of 24). Measured on Emerald Rapids (1 thread, thread CPU time, old and new kernel interleaved in one process,
    /// median of paired ratios, load average 30–50): 1.08 at n = 2048 (25 pairs), 1.05 at n = 1024 (60 pairs); 8 steps
    /// ahead 1.05 and 1.05. In the generic order (A streams from L2 by design) 1.035 at n = 2048. On Zen 5 (with the next-A
    /// prefetch) 8 or 32 steps 0.99 of 16. The float tile's A (48 bytes per k step) is not prefetched into L1.
    /// </summary>
    internal const int DoubleAPrefetchSteps = 16;

    /// <summary>One tile of shape <typeparamref name="TTile"/> (see <see cref="IMicrokernel{T}"/> for the arguments): the k loop
    /// compiled once for β = 0 (C only written) and once for the update of C, so that neither tests β per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<T, TTile>(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, INumber<T>
        where TTile : IAvx512Tile
    {
        if (beta == T.Zero) Run<T, TTile, WriteC>(kc, a, b, ldb, c, ldc, alpha, beta);
        else Run<T, TTile, UpdateC>(kc, a, b, ldb, c, ldc, alpha, beta);
    }

    /// <summary>The final step of a tile: C = α·sum (<see cref="WriteC"/>, β = 0, C not read) or C = α·sum + β·C fused (<see cref="UpdateC"/>).</summary>
    private interface IFinalStep
    {
        /// <summary>Whether C is read.</summary>
        static abstract bool ReadsC { get; }
    }

    private readonly struct WriteC : IFinalStep
    {
        public static bool ReadsC => false;
    }

    private readonly struct UpdateC : IFinalStep
    {
        public static bool ReadsC => true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T, TTile, TFinal>(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, INumber<T>
        where TTile : IAvx512Tile
        where TFinal : IFinalStep
    {
        int w = Vector512<T>.Count, mr = TTile.AStride;
        Vector512<T> c0_0 = default, c0_1 = default, c0_2 = default;
        Vector512<T> c1_0 = default, c1_1 = default, c1_2 = default;
        Vector512<T> c2_0 = default, c2_1 = default, c2_2 = default;
        Vector512<T> c3_0 = default, c3_1 = default, c3_2 = default;
        Vector512<T> c4_0 = default, c4_1 = default, c4_2 = default;
        Vector512<T> c5_0 = default, c5_1 = default, c5_2 = default;
        Vector512<T> c6_0 = default, c6_1 = default, c6_2 = default;
        Vector512<T> c7_0 = default, c7_1 = default, c7_2 = default;
        Vector512<T> c8_0 = default, c8_1 = default, c8_2 = default;
        Vector512<T> c9_0 = default, c9_1 = default, c9_2 = default;
        Vector512<T> c10_0 = default, c10_1 = default, c10_2 = default;
        Vector512<T> c11_0 = default, c11_1 = default, c11_2 = default;
        // One k loop; CPrefetchSteps steps before its end (at p == early) it prefetches the C tile for the final update.
        int early = Math.Max(0, kc - CPrefetchSteps);
        T* aNext = a + kc * mr;
        for (int p = 0; p < kc; p++)
        {
            if (TTile.Prefetches && p == early)
            {
                for (int r = 0; r < TTile.Rows; r++)
                    for (int v = 0; v < TTile.Vectors; v++) Sse.Prefetch0(c + r * ldc + v * w);
            }
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + w), b2 = TTile.Vectors > 2 ? Vector512.Load(b + 2 * w) : default;
            if (TTile.Prefetches)
            {
                T* bAhead = b + BPrefetchSteps * ldb;
                Sse.Prefetch0(bAhead); Sse.Prefetch0(bAhead + w);
                if (TTile.Vectors > 2) Sse.Prefetch0(bAhead + 2 * w);
                if (TTile.APrefetchSteps > 0) Sse.Prefetch0(a + TTile.APrefetchSteps * mr);
                Sse.Prefetch1(aNext); aNext += mr;
            }
            Step<T, TTile>(a, b0, b1, b2, ref c0_0, ref c0_1, ref c0_2);
            if (TTile.Rows > 1) Step<T, TTile>(a + 1, b0, b1, b2, ref c1_0, ref c1_1, ref c1_2);
            if (TTile.Rows > 2) Step<T, TTile>(a + 2, b0, b1, b2, ref c2_0, ref c2_1, ref c2_2);
            if (TTile.Rows > 3) Step<T, TTile>(a + 3, b0, b1, b2, ref c3_0, ref c3_1, ref c3_2);
            if (TTile.Rows > 4) Step<T, TTile>(a + 4, b0, b1, b2, ref c4_0, ref c4_1, ref c4_2);
            if (TTile.Rows > 5) Step<T, TTile>(a + 5, b0, b1, b2, ref c5_0, ref c5_1, ref c5_2);
            if (TTile.Rows > 6) Step<T, TTile>(a + 6, b0, b1, b2, ref c6_0, ref c6_1, ref c6_2);
            if (TTile.Rows > 7) Step<T, TTile>(a + 7, b0, b1, b2, ref c7_0, ref c7_1, ref c7_2);
            if (TTile.Rows > 8) Step<T, TTile>(a + 8, b0, b1, b2, ref c8_0, ref c8_1, ref c8_2);
            if (TTile.Rows > 9) Step<T, TTile>(a + 9, b0, b1, b2, ref c9_0, ref c9_1, ref c9_2);
            if (TTile.Rows > 10) Step<T, TTile>(a + 10, b0, b1, b2, ref c10_0, ref c10_1, ref c10_2);
            if (TTile.Rows > 11) Step<T, TTile>(a + 11, b0, b1, b2, ref c11_0, ref c11_1, ref c11_2);
            a += mr;
            b += ldb;
        }
        Vector512<T> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        Finish<T, TTile, TFinal>(c, va, vb, c0_0, c0_1, c0_2);
        if (TTile.Rows > 1) Finish<T, TTile, TFinal>(c + 1 * ldc, va, vb, c1_0, c1_1, c1_2);
        if (TTile.Rows > 2) Finish<T, TTile, TFinal>(c + 2 * ldc, va, vb, c2_0, c2_1, c2_2);
        if (TTile.Rows > 3) Finish<T, TTile, TFinal>(c + 3 * ldc, va, vb, c3_0, c3_1, c3_2);
        if (TTile.Rows > 4) Finish<T, TTile, TFinal>(c + 4 * ldc, va, vb, c4_0, c4_1, c4_2);
        if (TTile.Rows > 5) Finish<T, TTile, TFinal>(c + 5 * ldc, va, vb, c5_0, c5_1, c5_2);
        if (TTile.Rows > 6) Finish<T, TTile, TFinal>(c + 6 * ldc, va, vb, c6_0, c6_1, c6_2);
        if (TTile.Rows > 7) Finish<T, TTile, TFinal>(c + 7 * ldc, va, vb, c7_0, c7_1, c7_2);
        if (TTile.Rows > 8) Finish<T, TTile, TFinal>(c + 8 * ldc, va, vb, c8_0, c8_1, c8_2);
        if (TTile.Rows > 9) Finish<T, TTile, TFinal>(c + 9 * ldc, va, vb, c9_0, c9_1, c9_2);
        if (TTile.Rows > 10) Finish<T, TTile, TFinal>(c + 10 * ldc, va, vb, c10_0, c10_1, c10_2);
        if (TTile.Rows > 11) Finish<T, TTile, TFinal>(c + 11 * ldc, va, vb, c11_0, c11_1, c11_2);
    }

    /// <summary>One row of one k step: a broadcast value of A times the tile's vectors of B, added into the row's accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<T, TTile>(T* a, Vector512<T> b0, Vector512<T> b1, Vector512<T> b2,
        ref Vector512<T> c0, ref Vector512<T> c1, ref Vector512<T> c2)
        where T : unmanaged
        where TTile : IAvx512Tile
    {
        Vector512<T> ai = Vector512.Create(*a);
        c0 = Fma(ai, b0, c0);
        c1 = Fma(ai, b1, c1);
        if (TTile.Vectors > 2) c2 = Fma(ai, b2, c2);
    }

    /// <summary>One row of C: α·sum (β = 0, C not read) or α·sum + β·C fused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<T, TTile, TFinal>(T* c, Vector512<T> va, Vector512<T> vb, Vector512<T> s0, Vector512<T> s1, Vector512<T> s2)
        where T : unmanaged
        where TTile : IAvx512Tile
        where TFinal : IFinalStep
    {
        int w = Vector512<T>.Count;
        if (!TFinal.ReadsC)
        {
            (va * s0).Store(c);
            (va * s1).Store(c + w);
            if (TTile.Vectors > 2) (va * s2).Store(c + 2 * w);
        }
        else
        {
            Fma(va, s0, vb * Vector512.Load(c)).Store(c);
            Fma(va, s1, vb * Vector512.Load(c + w)).Store(c + w);
            if (TTile.Vectors > 2) Fma(va, s2, vb * Vector512.Load(c + 2 * w)).Store(c + 2 * w);
        }
    }

    /// <summary>a·b + c with one rounding: one vfmadd instruction (the type test is folded per instantiation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}
