using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

public class GemmTests
{
    public static IEnumerable<object[]> InstructionSets() =>
        GemmInstructionSets.Supported.Where(s => s != GemmInstructionSet.Reference).Select(s => new object[] { s });

    // Odd shapes: empty, 1×1, m < k, k < n, tile edges (MR = 12/8/6/4, NR = 32/24/16/8), block edges (KC = 192/256, MC = 240/360).
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 0, 0), (0, 5, 3), (4, 0, 3), (3, 4, 0), (1, 1, 1), (2, 3, 17), (17, 33, 65), (5, 70, 9), (13, 31, 2),
        (12, 32, 7), (8, 24, 8), (25, 49, 33), (11, 95, 1), (24, 16, 257), (7, 9, 193), (250, 9, 11), (37, 200, 5),
        (361, 33, 3), (9, 260, 4), (20, 40, 288), (13, 35, 289), (7, 250, 600),
    ];

    private static void TwinOverShapes<T>(GemmInstructionSet set, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(17);
        var layouts = Enum.GetValues<Layout>();
        int round = 0;
        foreach (var (m, n, k) in Shapes)
        {
            var la = layouts[round % 4]; var lb = layouts[(round / 4 + round) % 4]; var lc = layouts[(round * 3 + 1) % 4];
            round++;
            var a = TestMatrix<T>.Random(m, k, la, random);
            var b = TestMatrix<T>.Random(k, n, lb, random);
            var c = TestMatrix<T>.Random(m, n, lc, random);
            var expected = c.Clone();
            T alpha = T.CreateTruncating(1.5), beta = T.CreateTruncating(-0.5);
            GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, c.View, new Parallelism(threads), set);
            GemmAssert.Close(expected, c, GemmAssert.Tolerance<T>(k), $"{set} {typeof(T).Name} {m}×{n}×{k} A {la} B {lb} C {lc} threads {threads}");
            GemmAssert.GapsUntouched(c);
        }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Matches_the_reference_twin_over_odd_shapes_float(GemmInstructionSet set)
    {
        TwinOverShapes<float>(set, 1);
        TwinOverShapes<float>(set, 3);
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Matches_the_reference_twin_over_odd_shapes_double(GemmInstructionSet set)
    {
        TwinOverShapes<double>(set, 1);
        TwinOverShapes<double>(set, 2);
    }

    [Fact]
    public void Depth_blocks_are_even_and_never_deeper_than_one_block_and_an_eighth()
    {
        Assert.Equal(200, GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(200, 256));
        Assert.Equal(288, GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(288, 256)); // one block of KC·9/8
        Assert.Equal(145, GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(289, 256)); // two even blocks, not 256 + 33
        Assert.Equal(200, GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(600, 256)); // three of 200
        Assert.Equal(1, GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(0, 256));
        for (int k = 1; k < 1000; k++)
        {
            int kc = GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(k, 256);
            Assert.True(kc <= 288 && (k + kc - 1) / kc * kc - k < (k + kc - 1) / kc, $"k = {k}: depth block {kc}");
        }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Tiny_block_sizes_cross_every_loop_boundary_and_thread_split(GemmInstructionSet set)
    {
        // MC = 2·MR, KC = 5, NC = 2·NR, and no minimum work per thread: every shape crosses the jc, pc and ic loops,
        // the β = 1 accumulation for pc > 0, the in-place B path (k ≤ KC) and the thread partition.
        var random = new Random(29);
        foreach (var threads in new[] { 1, 2, 3, 4 })
            foreach (var (m, n, k) in new[] { (1, 1, 1), (17, 33, 12), (29, 70, 5), (40, 9, 23), (7, 100, 4) })
            {
                var table = GemmBlockSizes.For<float>(set);
                var blocks = table with { MC = 2 * table.MR, KC = 5, NC = 2 * table.NR, UnpackedBMaxColumns = 64, MinFlopsPerThread = 1 };
                var a = TestMatrix<float>.Random(m, k, Layout.RowMajor, random);
                var b = TestMatrix<float>.Random(k, n, threads % 2 == 0 ? Layout.RowMajor : Layout.ColumnMajor, random);
                var c = TestMatrix<float>.Random(m, n, Layout.Padded, random);
                var expected = c.Clone();
                GemmReference.Multiply(1f, a.ReadOnly, b.ReadOnly, 0.5f, expected.View);
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1f, a.ReadOnly, b.ReadOnly, 0.5f, c.View, new Parallelism(threads), set, blocks);
                GemmAssert.Close(expected, c, GemmAssert.Tolerance<float>(k), $"{set} tiny blocks {m}×{n}×{k} threads {threads}");
                GemmAssert.GapsUntouched(c);
            }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void The_resident_A_loop_order_matches_the_twin_and_is_bitwise_the_other_order(GemmInstructionSet set)
    {
        ResidentAOrderOverShapes<float>(set);
        ResidentAOrderOverShapes<double>(set);
    }

    /// <summary>
    /// GemmBlockSizes.ResidentA (loops pc, ic, jc, ir, jr) against the textbook twin and, bitwise, against the other order with
    /// the same blocks: tiny blocks so every shape crosses the pc, ic and jc loops and the edge tiles; both transposes,
    /// α and β (β = 0 over a NaN-filled C), 1 to 3 threads, and once with B small enough to be read in place (that path keeps
    /// the other order).
    /// </summary>
    private static void ResidentAOrderOverShapes<T>(GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(61);
        var table = GemmBlockSizes.For<T>(set);
        var ops = new[] { (false, false), (true, false), (false, true), (true, true) };
        int variant = 0;
        foreach (var threads in new[] { 1, 2, 3 })
            foreach (var (m, n, k) in new[] { (1, 1, 1), (17, 33, 12), (29, 70, 11), (40, 9, 23), (13, 100, 4), (50, 65, 17) })
            {
                var (transposeA, transposeB) = ops[variant % ops.Length];
                bool zeroBeta = variant % 3 == 0, inPlaceB = variant % 5 == 0;
                variant++;
                var blocks = table with
                {
                    MC = 2 * table.MR, KC = 5, NC = 2 * table.NR, UnpackedBMaxColumns = inPlaceB ? 128 : 0, MinFlopsPerThread = 1, ResidentA = false,
                };
                var a = TestMatrix<T>.Random(transposeA ? k : m, transposeA ? m : k, Layout.RowMajor, random);
                var b = TestMatrix<T>.Random(transposeB ? n : k, transposeB ? k : n, Layout.RowMajor, random);
                var aView = transposeA ? a.ReadOnly.Transposed() : a.ReadOnly;
                var bView = transposeB ? b.ReadOnly.Transposed() : b.ReadOnly;
                var c = TestMatrix<T>.Random(m, n, Layout.Padded, random);
                if (zeroBeta)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) c[i, j] = T.NaN;
                T alpha = T.CreateTruncating(0.75), beta = zeroBeta ? T.Zero : T.CreateTruncating(0.5);
                var expected = c.Clone();
                GemmReference.Multiply(alpha, aView, bView, beta, expected.View);
                var otherOrder = c.Clone();
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, aView, bView, beta, otherOrder.View, new Parallelism(threads), set, blocks);
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, aView, bView, beta, c.View, new Parallelism(threads), set, blocks with { ResidentA = true });
                string what = $"{set} {typeof(T).Name} resident A {m}×{n}×{k} opA {transposeA} opB {transposeB} β {beta} threads {threads}";
                GemmAssert.Close(expected, c, GemmAssert.Tolerance<T>(k), what);
                Assert.True(otherOrder.Data.AsSpan().SequenceEqual(c.Data), what + ": differs from the other loop order.");
                GemmAssert.GapsUntouched(c);
            }
    }

    [Fact]
    public void Row_blocks_are_even_multiples_of_MR_and_never_taller_than_MC()
    {
        Assert.Equal(1056, GemmDriver<double, PortableMicrokernel<double>>.RowBlock(2100, 2048, 8)); // two of 1056 and 1044, not 2048 + 52
        Assert.Equal(2048, GemmDriver<double, PortableMicrokernel<double>>.RowBlock(2048, 2048, 8));
        Assert.Equal(16, GemmDriver<double, PortableMicrokernel<double>>.RowBlock(13, 2048, 8));
        Assert.Equal(684, GemmDriver<float, PortableMicrokernel<float>>.RowBlock(2048, 720, 12)); // three of 684, not 720 + 720 + 608
        for (int m = 1; m < 3000; m += 7)
            foreach (var (mc, mr) in new[] { (2048, 8), (720, 12), (24, 12), (16, 8) })
            {
                int rows = GemmDriver<float, PortableMicrokernel<float>>.RowBlock(m, mc, mr);
                int blocks = (m + rows - 1) / rows;
                Assert.True(rows % mr == 0 && rows <= mc && blocks == (m + mc - 1) / mc, $"m = {m}, MC = {mc}, MR = {mr}: row block {rows}");
            }
    }

    [Fact]
    public void Row_shares_end_the_threads_on_short_tiles_and_never_cost_more_than_whole_MR_units()
    {
        // n = 512 on 2 threads: 256 rows each (21 tiles and a 4-row short tile), not 252 and 260 (21 and 22 tiles).
        Assert.Equal(256, GemmDriver<float, Avx512Float12x32>.RowShareStart(512, 1, 2));
        Assert.Equal(1024, GemmDriver<float, Avx512Float12x32>.RowShareStart(2048, 1, 2));
        Assert.Equal(256, GemmDriver<float, Avx2Microkernel<float>>.RowShareStart(512, 1, 2));
        Assert.Equal(256, GemmDriver<double, Avx512Double8x24>.RowShareStart(512, 1, 2));
        Check<Avx512Float12x32>();
        Check<Avx2Microkernel<float>>();

        static void Check<K>() where K : IMicrokernel<float>
        {
            int mr = K.MR, shortMr = K.ShortMR;
            for (int m = 1; m < 700; m++)
                for (int workers = 2; workers <= Math.Min(4, (m + mr - 1) / mr); workers++)
                {
                    int units = (m + mr - 1) / mr;
                    long worst = 0, worstUnits = 0;
                    int start = GemmDriver<float, K>.RowShareStart(m, 0, workers);
                    Assert.Equal(0, start);
                    for (int t = 0; t < workers; t++)
                    {
                        int end = GemmDriver<float, K>.RowShareStart(m, t + 1, workers);
                        Assert.True(end >= start, $"m = {m}, {workers} workers: share {t} ends at {end} before its start {start}");
                        worst = Math.Max(worst, GemmDriver<float, K>.RowsComputed(end - start, mr, shortMr));
                        int u0 = (int)((long)units * t / workers) * mr, u1 = Math.Min(m, (int)((long)units * (t + 1) / workers) * mr);
                        worstUnits = Math.Max(worstUnits, GemmDriver<float, K>.RowsComputed(u1 - u0, mr, shortMr));
                        start = end;
                    }
                    Assert.Equal(m, start);
                    if (workers == 2) Assert.True(worst <= worstUnits, $"m = {m}, MR {mr}: the costliest share {worst} rows against {worstUnits} in whole units");
                }
        }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void The_resident_A_order_with_blocks_taller_than_the_problem_or_split_evenly_is_bitwise_the_other_order(GemmInstructionSet set)
    {
        // The Intel double row's MC (2048) over 2100 rows: two even A blocks; and MC past m: one block, the workspace sized to m.
        var random = new Random(5);
        foreach (var (m, mc) in new[] { (2100, 2048), (90, 2048), (61, 24) })
        {
            var table = GemmBlockSizes.For<double>(set);
            var blocks = table with { MC = mc / table.MR * table.MR, KC = 16, NC = 3 * table.NR, MinFlopsPerThread = 1, UnpackedBMaxColumns = 0 };
            var a = TestMatrix<double>.Random(m, 37, Layout.RowMajor, random);
            var b = TestMatrix<double>.Random(37, 29, Layout.ColumnMajor, random);
            var c = TestMatrix<double>.Random(m, 29, Layout.Padded, random);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < 29; j++) c[i, j] = double.NaN;
            var expected = c.Clone();
            GemmReference.Multiply(1.25, a.ReadOnly, b.ReadOnly, 0.0, expected.View);
            var otherOrder = c.Clone();
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.25, a.ReadOnly, b.ReadOnly, 0.0, otherOrder.View, new Parallelism(1), set, blocks with { MC = 2 * table.MR, ResidentA = false });
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var result = c.Clone();
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.25, a.ReadOnly, b.ReadOnly, 0.0, result.View, new Parallelism(threads), set, blocks with { ResidentA = true });
                string what = $"{set} resident A, {m} rows, MC {blocks.MC}, threads {threads}";
                GemmAssert.Close(expected, result, GemmAssert.Tolerance<double>(37), what);
                Assert.True(otherOrder.Data.AsSpan().SequenceEqual(result.Data), what + ": differs from the other loop order.");
                GemmAssert.GapsUntouched(result);
            }
        }
    }

    [Fact]
    public void The_Intel_AVX512_rows_use_the_resident_A_order_with_L1_and_L2_sized_blocks()
    {
        foreach (var (blocks, size) in new[] { (GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.IntelAvx512), 4),
                                              (GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.IntelAvx512), 8) })
        {
            Assert.True(blocks.ResidentA);
            Assert.True(blocks.MR * blocks.KC * size <= 24 * 1024, $"A micro-panel {blocks.MR}×{blocks.KC} must stay within half of a 48 KiB L1.");
            Assert.True(blocks.KC * blocks.NC * size <= 1024 * 1024, $"B panel {blocks.KC}×{blocks.NC} must stay within half of a 2 MiB L2.");
            Assert.Equal(0, blocks.MC % blocks.MR);
            Assert.Equal(0, blocks.NC % blocks.NR);
        }
        Assert.True(GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen5).ResidentA);
        Assert.True(GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5).ResidentA);
        Assert.False(GemmBlockSizes.For<double>(GemmInstructionSet.Avx2, Microarchitecture.Zen3).ResidentA);
    }

    /// <summary>C·t = β·C₀·t + α·A·(B·t) for a random t: checks a large product without trusting another GEMM.</summary>
    public static double ChecksumError<T>(int m, int n, int k, GemmInstructionSet set, int threads, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var a = TestMatrix<T>.Random(m, k, Layout.RowMajor, random);
        var b = TestMatrix<T>.Random(k, n, Layout.RowMajor, random);
        var c = TestMatrix<T>.Random(m, n, Layout.RowMajor, random);
        var c0 = c.Clone();
        T alpha = T.CreateTruncating(0.75), beta = T.CreateTruncating(2.0);
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, c.View, new Parallelism(threads), set);
        return GemmChecksum.MaxRelativeError(alpha, a.ReadOnly, b.ReadOnly, beta, c0.ReadOnly, c.ReadOnly, random);
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Checksum_identity_holds_for_large_products(GemmInstructionSet set)
    {
        Assert.InRange(ChecksumError<float>(397, 530, 611, set, 2, 3), 0, 1e-5);
        Assert.InRange(ChecksumError<double>(389, 501, 433, set, 2, 4), 0, 1e-13);
    }

    [Fact]
    public void Checksum_detects_a_wrong_product()
    {
        var random = new Random(5);
        var a = TestMatrix<double>.Random(40, 30, Layout.RowMajor, random);
        var b = TestMatrix<double>.Random(30, 20, Layout.RowMajor, random);
        var c = TestMatrix<double>.Random(40, 20, Layout.RowMajor, random);
        var c0 = c.Clone();
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1.0, a.ReadOnly, b.ReadOnly, 0.0, c.View);
        Assert.InRange(GemmChecksum.MaxRelativeError(1.0, a.ReadOnly, b.ReadOnly, 0.0, c0.ReadOnly, c.ReadOnly, random), 0, 1e-13);
        c[7, 3] += 1e-3;
        Assert.True(GemmChecksum.MaxRelativeError(1.0, a.ReadOnly, b.ReadOnly, 0.0, c0.ReadOnly, c.ReadOnly, random) > 1e-6);
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Beta_zero_ignores_NaN_in_C_and_alpha_zero_ignores_A_and_B(GemmInstructionSet set)
    {
        var random = new Random(9);
        foreach (var (m, n, k) in new[] { (13, 35, 20), (40, 70, 300) })
        {
            var a = TestMatrix<float>.Random(m, k, Layout.RowMajor, random);
            var b = TestMatrix<float>.Random(k, n, Layout.ColumnMajor, random);
            var c = TestMatrix<float>.Random(m, n, Layout.RowMajor, random);
            Array.Fill(c.Data, float.NaN);
            var expected = c.Clone();
            GemmReference.Multiply(2f, a.ReadOnly, b.ReadOnly, 0f, expected.View);
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(2f, a.ReadOnly, b.ReadOnly, 0f, c.View, new Parallelism(2), set);
            GemmAssert.Close(expected, c, GemmAssert.Tolerance<float>(k), "beta = 0 over NaN");

            // α = 0: C = β·C, and NaN in A is never read.
            a.Data[0] = float.NaN;
            var c2 = TestMatrix<float>.Random(m, n, Layout.RowMajor, random);
            var before = c2.Clone();
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(0f, a.ReadOnly, b.ReadOnly, 3f, c2.View, default, set);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) Assert.Equal(3f * before[i, j], c2[i, j]);
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(0f, a.ReadOnly, b.ReadOnly, 0f, c2.View, default, set);
            Assert.All(c2.Data, x => Assert.Equal(0f, x));
        }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Beta_one_accumulates_and_transposes_are_views(GemmInstructionSet set)
    {
        var random = new Random(11);
        var a = TestMatrix<double>.Random(45, 29, Layout.RowMajor, random);   // used as Aᵀ: 29×45
        var b = TestMatrix<double>.Random(61, 45, Layout.Padded, random);     // used as Bᵀ: 45×61
        var c = TestMatrix<double>.Random(29, 61, Layout.ColumnMajor, random);
        var expected = c.Clone();
        GemmReference.Multiply(-1.0, a.ReadOnly.Transposed(), b.ReadOnly.Transposed(), 1.0, expected.View);
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(-1.0, a.ReadOnly, MatrixOp.Transpose, b.ReadOnly, MatrixOp.Transpose, 1.0, c.View, new Parallelism(2), set);
        GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(45), "Aᵀ·Bᵀ, beta = 1");
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Results_are_bitwise_identical_for_every_thread_count(GemmInstructionSet set)
    {
        var random = new Random(21);
        var a = TestMatrix<float>.Random(203, 517, Layout.RowMajor, random);
        var b = TestMatrix<float>.Random(517, 190, Layout.RowMajor, random);
        float[]? first = null;
        for (int threads = 1; threads <= 4; threads++)
        {
            var c = TestMatrix<float>.Random(203, 190, Layout.RowMajor, new Random(1));
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1f, a.ReadOnly, b.ReadOnly, 0.5f, c.View, new Parallelism(threads), set);
            if (first is null) first = c.Data;
            else Assert.True(first.AsSpan().SequenceEqual(c.Data), $"{set}: threads = {threads} differs from threads = 1.");
        }
    }

    // Small shapes (≤ 64): full and partial tiles, last column panels of ≤ 16 columns (the narrow 8×16 double tile) read in place or packed,
    // last row panels of ≤ 4 rows (the short 4×32 float tile; 64 = 5·12 + 4).
    private static readonly (int M, int N, int K)[] SmallShapes = [(64, 64, 64), (32, 32, 32), (8, 16, 5), (16, 40, 7), (9, 15, 3), (33, 63, 17), (63, 64, 1), (24, 48, 64)];

    private static void SmallTwinOverEveryLayout<T>(GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(37);
        var layouts = Enum.GetValues<Layout>();
        int round = 0;
        foreach (var (m, n, k) in SmallShapes)
            foreach (var la in layouts)
                foreach (var lb in layouts)
                    foreach (var lc in layouts)
                    {
                        var a = TestMatrix<T>.Random(m, k, la, random);
                        var b = TestMatrix<T>.Random(k, n, lb, random);
                        var c = TestMatrix<T>.Random(m, n, lc, random);
                        var expected = c.Clone();
                        T alpha = T.CreateTruncating(0.5), beta = round++ % 2 == 0 ? T.Zero : T.CreateTruncating(1.25);
                        GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);
                        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, c.View, new Parallelism(1), set);
                        GemmAssert.Close(expected, c, GemmAssert.Tolerance<T>(k), $"{set} {typeof(T).Name} small {m}×{n}×{k} A {la} B {lb} C {lc}");
                        GemmAssert.GapsUntouched(c);
                    }
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Small_products_match_the_reference_twin_over_every_layout(GemmInstructionSet set)
    {
        SmallTwinOverEveryLayout<float>(set);
        SmallTwinOverEveryLayout<double>(set);
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Small_products_are_bitwise_identical_for_every_thread_split_and_pass_the_checksum(GemmInstructionSet set)
    {
        foreach (var (m, n, k) in SmallShapes)
        {
            var random = new Random(41);
            var a = TestMatrix<double>.Random(m, k, Layout.RowMajor, random);
            var b = TestMatrix<double>.Random(k, n, Layout.RowMajor, random);
            var blocks = GemmBlockSizes.For<double>(set) with { MinFlopsPerThread = 1 }; // split even the smallest product
            double[]? first = null;
            for (int threads = 1; threads <= 3; threads++)
            {
                var c = TestMatrix<double>.Random(m, n, Layout.RowMajor, new Random(2));
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.0, a.ReadOnly, b.ReadOnly, 0.5, c.View, new Parallelism(threads), set, blocks);
                if (first is null) first = c.Data;
                else Assert.True(first.AsSpan().SequenceEqual(c.Data), $"{set} {m}×{n}×{k}: threads = {threads} differs from threads = 1.");
            }
            Assert.InRange(ChecksumError<double>(m, n, k, set, 1, 43), 0, 1e-13);
            Assert.InRange(ChecksumError<float>(m, n, k, set, 1, 47), 0, 1e-5);
        }
    }

    [Avx512Fact]
    public unsafe void The_narrow_double_tile_is_bitwise_the_wide_tile_restricted_to_its_columns()
    {
        var random = new Random(53);
        const int kc = 37, ldb = 24, ldc = 24;
        var a = new double[8 * kc]; var b = new double[kc * ldb];
        for (int i = 0; i < a.Length; i++) a[i] = random.NextDouble() - 0.5;
        for (int i = 0; i < b.Length; i++) b[i] = random.NextDouble() - 0.5;
        foreach (double beta in new[] { 0.0, 0.75 })
        {
            var wide = new double[8 * ldc]; var narrow = new double[8 * ldc];
            for (int i = 0; i < wide.Length; i++) wide[i] = narrow[i] = random.NextDouble();
            fixed (double* pa = a, pb = b, pw = wide, pn = narrow)
            {
                Avx512Double8x24.Run(kc, pa, pb, ldb, pw, ldc, 1.5, beta);
                Avx512Double8x24.RunNarrow(kc, pa, pb, ldb, pn, ldc, 1.5, beta);
            }
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < ldc; j++)
                    if (j < 16) Assert.Equal(wide[i * ldc + j], narrow[i * ldc + j]);
                    else Assert.NotEqual(wide[i * ldc + j], narrow[i * ldc + j]); // the narrow tile leaves columns 16.. alone
        }
    }

    [Avx512Fact]
    public unsafe void The_wide_float_tile_is_bitwise_a_scalar_chain_of_fused_steps_for_every_depth_around_its_split_loop()
    {
        // The k loop runs in two parts (the C tile is prefetched before the last 24 steps): depths below, at and past the
        // split must each run every step once, in order.
        var random = new Random(61);
        const int ldb = 37, ldc = 33;
        foreach (int kc in new[] { 0, 1, 5, 23, 24, 25, 31, 48, 97 })
        {
            var a = new float[12 * Math.Max(kc, 1)]; var b = new float[Math.Max(kc, 1) * ldb];
            for (int i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() - 0.5);
            for (int i = 0; i < b.Length; i++) b[i] = (float)(random.NextDouble() - 0.5);
            foreach (float beta in new[] { 0f, 0.75f })
            {
                var c = new float[12 * ldc];
                for (int i = 0; i < c.Length; i++) c[i] = (float)random.NextDouble();
                var expected = (float[])c.Clone();
                for (int i = 0; i < 12; i++)
                    for (int j = 0; j < 32; j++)
                    {
                        float sum = 0;
                        for (int p = 0; p < kc; p++) sum = MathF.FusedMultiplyAdd(a[p * 12 + i], b[p * ldb + j], sum);
                        ref float e = ref expected[i * ldc + j];
                        e = beta == 0 ? 1.5f * sum : MathF.FusedMultiplyAdd(1.5f, sum, beta * e);
                    }
                fixed (float* pa = a, pb = b, pc = c) Avx512Float12x32.Run(kc, pa, pb, ldb, pc, ldc, 1.5f, beta);
                Assert.Equal(expected, c);
            }
        }
    }

    [Avx512Fact]
    public unsafe void The_short_float_tile_is_bitwise_the_wide_tile_restricted_to_its_rows()
    {
        var random = new Random(59);
        const int kc = 41, ldb = 40, ldc = 35;
        var a = new float[12 * kc]; var b = new float[kc * ldb];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(random.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(random.NextDouble() - 0.5);
        foreach (float beta in new[] { 0f, 0.75f })
        {
            var wide = new float[12 * ldc]; var shortTile = new float[12 * ldc];
            for (int i = 0; i < wide.Length; i++) wide[i] = shortTile[i] = (float)random.NextDouble();
            fixed (float* pa = a, pb = b, pw = wide, ps = shortTile)
            {
                Avx512Float12x32.Run(kc, pa, pb, ldb, pw, ldc, 1.5f, beta);
                Avx512Float12x32.RunShort(kc, pa, pb, ldb, ps, ldc, 1.5f, beta);
            }
            for (int i = 0; i < 12; i++)
                for (int j = 0; j < 32; j++)
                    if (i < 4) Assert.Equal(wide[i * ldc + j], shortTile[i * ldc + j]);
                    else Assert.NotEqual(wide[i * ldc + j], shortTile[i * ldc + j]); // the short tile leaves rows 4.. alone
        }
    }

    /// <summary>The tile C = α·Σ a·b + β·C of <see cref="IMicrokernel{T}"/> as a scalar chain of fused steps per element (the
    /// order every microkernel keeps): rows × columns of it, A read with <paramref name="aStep"/> values per depth.</summary>
    internal static T[] TileByDefinition<T>(int rows, int columns, int kc, T[] a, int aStep, T[] b, int ldb, T[] c, int ldc, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var expected = (T[])c.Clone();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < kc; p++) sum = T.FusedMultiplyAdd(a[p * aStep + i], b[p * ldb + j], sum);
                ref T e = ref expected[i * ldc + j];
                e = beta == T.Zero ? alpha * sum : T.FusedMultiplyAdd(alpha, sum, beta * e);
            }
        return expected;
    }

    /// <summary>Runs one microkernel tile (full or, with <paramref name="shortTile"/>, short) of <typeparamref name="TKernel"/>
    /// on random operands for several depths and both β forms, against <see cref="TileByDefinition{T}"/>: bitwise, and C
    /// outside the tile's rows untouched.</summary>
    private static unsafe void TileIsTheScalarChain<T, TKernel>(bool shortTile) where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IMicrokernel<T>
    {
        var random = new Random(67);
        int mr = TKernel.MR, nr = TKernel.NR, rows = shortTile ? TKernel.ShortMR : mr, ldb = nr + 5, ldc = nr + 3;
        foreach (int kc in new[] { 0, 1, 2, 7, 33 })
        {
            var a = new T[mr * Math.Max(kc, 1)]; var b = new T[Math.Max(kc, 1) * ldb];
            for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(random.NextDouble() - 0.5);
            for (int i = 0; i < b.Length; i++) b[i] = T.CreateTruncating(random.NextDouble() - 0.5);
            foreach (double betaValue in new[] { 0.0, 0.75 })
            {
                T alpha = T.CreateTruncating(1.5), beta = T.CreateTruncating(betaValue);
                var c = new T[mr * ldc];
                for (int i = 0; i < c.Length; i++) c[i] = T.CreateTruncating(random.NextDouble());
                var expected = TileByDefinition(rows, nr, kc, a, mr, b, ldb, c, ldc, alpha, beta);
                fixed (T* pa = a, pb = b, pc = c)
                {
                    if (shortTile) TKernel.RunShort(kc, pa, pb, ldb, pc, ldc, alpha, beta);
                    else TKernel.Run(kc, pa, pb, ldb, pc, ldc, alpha, beta);
                }
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{typeof(TKernel).Name} {typeof(T).Name} short {shortTile} kc {kc} beta {betaValue}");
            }
        }
    }

    [Avx2Fact]
    public void The_AVX2_tiles_are_bitwise_a_scalar_chain_of_fused_steps()
    {
        TileIsTheScalarChain<float, Avx2Microkernel<float>>(shortTile: false);
        TileIsTheScalarChain<double, Avx2Microkernel<double>>(shortTile: false);
        TileIsTheScalarChain<float, Avx2Microkernel<float>>(shortTile: true); // rows 0-3 of a 6-row micro-panel, rows 4-5 of C left alone
        TileIsTheScalarChain<double, Avx2Microkernel<double>>(shortTile: true);
    }

    [Fact]
    public void The_portable_tile_is_bitwise_a_scalar_chain_of_fused_steps()
    {
        // Vector.FusedMultiplyAdd rounds once on any hardware, so the portable tile is the same chain everywhere.
        TileIsTheScalarChain<float, PortableMicrokernel<float>>(shortTile: false);
        TileIsTheScalarChain<double, PortableMicrokernel<double>>(shortTile: false);
    }

    [Theory, MemberData(nameof(InstructionSets))]
    public void Batched_products_match_one_product_at_a_time(GemmInstructionSet set)
    {
        var random = new Random(23);
        int batch = 5, m = 7, n = 19, k = 11;
        var a = TestMatrix<double>.Random(batch * m, k, Layout.RowMajor, random);
        var b = TestMatrix<double>.Random(k, n, Layout.RowMajor, random); // broadcast: batch stride 0
        var c = TestMatrix<double>.Random(batch * m, n, Layout.RowMajor, random);
        var expected = c.Clone();
        for (int t = 0; t < batch; t++)
            GemmReference.Multiply(1.0, new ReadOnlyMatrixSpan<double>(a.Data, t * m * k, m, k, k, 1), b.ReadOnly, 0.25,
                new MatrixSpan<double>(expected.Data, t * m * n, m, n, n, 1));
        global::MtlEngine.Kernels.Gemm.Gemm.MultiplyBatched(batch, 1.0, new ReadOnlyMatrixSpan<double>(a.Data, 0, m, k, k, 1), m * k, b.ReadOnly, 0, 0.25,
            new MatrixSpan<double>(c.Data, 0, m, n, n, 1), m * n, new Parallelism(2), set);
        GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(k), "batched");
    }

    [Fact]
    public void Mismatched_shapes_and_unsupported_types_are_rejected_with_clear_errors()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1f, new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), new ReadOnlyMatrixSpan<float>(new float[8], 4, 2), 0f,
                new MatrixSpan<float>(new float[4], 2, 2)));
        Assert.Contains("2×3", ex.Message);
        Assert.Throws<NotSupportedException>(() =>
            global::MtlEngine.Kernels.Gemm.Gemm.Multiply(1, new ReadOnlyMatrixSpan<int>(new int[4], 2, 2), new ReadOnlyMatrixSpan<int>(new int[4], 2, 2), 0, new MatrixSpan<int>(new int[4], 2, 2)));
        Assert.Throws<ArgumentException>(() => new MatrixSpan<float>(new float[5], 0, 2, 3, 3, 1));
    }
}

/// <summary>GEMM allocation counts: run alone (see <see cref="AllocationMeasurementCollection"/>).</summary>
[Collection(AllocationMeasurementCollection.Name)]
public class GemmAllocationTests
{
    [Theory, MemberData(nameof(GemmTests.InstructionSets), MemberType = typeof(GemmTests))]
    public void One_thread_small_products_allocate_nothing_after_the_first_call(GemmInstructionSet set)
    {
        // The per-call path of a small product (≤ 64, edge tiles included) must not allocate: no closure, no thread-pool work item.
        var random = new Random(31);
        foreach (var (m, n, k) in new[] { (32, 32, 32), (64, 64, 64), (13, 45, 29) })
        {
            long f32 = AllocatedBytesOfRepeatedCalls<float>(m, n, k, set, random);
            long f64 = AllocatedBytesOfRepeatedCalls<double>(m, n, k, set, random);
            Assert.True(f32 == 0 && f64 == 0, $"{set} {m}×{n}×{k}: 100 one-thread products allocated {f32} bytes (float), {f64} bytes (double).");
        }
    }

    [Fact]
    public void One_thread_matrix_vector_products_allocate_nothing()
    {
        // Before the parallel branch had a method of its own, every call allocated the lambda's captured state.
        var random = new Random(32);
        var a = TestMatrix<double>.Random(300, 200, Layout.RowMajor, random);
        var x = Enumerable.Range(0, 200).Select(i => Math.Sin(i)).ToArray();
        var y = new double[300];
        var one = new Parallelism(1);
        Gemv.Multiply(1.0, a.ReadOnly, MatrixOp.None, x, 0.0, y, one);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Gemv.Multiply(1.0, a.ReadOnly, MatrixOp.None, x, 0.5, y, one);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"100 one-thread row-major GEMVs allocated {allocated} bytes.");
    }

    private static long AllocatedBytesOfRepeatedCalls<T>(int m, int n, int k, GemmInstructionSet set, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TestMatrix<T>.Random(m, k, Layout.RowMajor, random);
        var b = TestMatrix<T>.Random(k, n, Layout.RowMajor, random);
        var c = TestMatrix<T>.Random(m, n, Layout.RowMajor, random);
        var one = new Parallelism(1);
        global::MtlEngine.Kernels.Gemm.Gemm.Multiply(T.One, a.ReadOnly, b.ReadOnly, T.Zero, c.View, one, set); // workspace grown here
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) global::MtlEngine.Kernels.Gemm.Gemm.Multiply(T.One, a.ReadOnly, b.ReadOnly, T.Zero, c.View, one, set);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
