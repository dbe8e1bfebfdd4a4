using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>
/// The row-by-row packing of a row-major B (GemmPacking.PackBRows, also under PackB) against the micro-panel-by-micro-panel
/// twin (PackBPanel), the depth-by-depth packing of a column-major A (PackA) against its panel-by-panel twin, the packing of a row-major A against its definition, and the threaded product whose threads share one packed B (SharedPackedB) against one thread and
/// the textbook twin.
/// </summary>
public unsafe class GemmSharedPackingTests
{
    [Fact]
    public void Packing_B_row_by_row_in_any_row_ranges_is_bitwise_the_panel_by_panel_twin()
    {
        // Float and double: with AVX-512 the NRs that are multiples of a 512-bit vector (float 32 and 48, double 8, 16, 24,
        // 32 and 48) take PackBRows's 512-bit path with its prefetch, the others the 256-bit or span copies; nc = 3·NR + 5
        // runs the wide path and then the narrow one for the last partial panel.
        var random = new Random(3);
        foreach (int nr in new[] { 8, 16, 24, 32, 48, 6 })
            foreach (int kc in new[] { 1, 5, 17, 40 })
                foreach (int nc in new[] { 1, nr - 1, nr, nr + 1, 3 * nr + 5 })
                {
                    if (nc < 1) continue;
                    RowsAsPanels<float>(nr, kc, nc, random);
                    RowsAsPanels<double>(nr, kc, nc, random);
                }
    }

    private static void RowsAsPanels<T>(int nr, int kc, int nc, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int ldb = nc + 3, panels = (nc + nr - 1) / nr;
        var b = new T[kc * ldb];
        for (int i = 0; i < b.Length; i++) b[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var twin = new T[panels * nr * kc];
        var whole = new T[twin.Length];
        var ranges = new T[twin.Length];
        Array.Fill(whole, T.NaN);
        Array.Fill(ranges, T.NaN);
        fixed (T* pb = b, pt = twin, pw = whole, pr = ranges)
        {
            for (int s = 0; s < panels; s++)
                GemmPacking.PackBPanel(kc, Math.Min(nr, nc - s * nr), nr, pb + s * nr, ldb, 1, pt + s * nr * kc);
            GemmPacking.PackB(kc, nc, nr, pb, ldb, 1, pw);
            // Uneven row ranges in a scrambled order, as threads claim them.
            int cut1 = kc / 3, cut2 = 2 * kc / 3 + 1;
            foreach (var (p0, p1) in new[] { (cut2, kc), (0, cut1), (cut1, Math.Min(cut2, kc)) })
                if (p0 < p1) GemmPacking.PackBRows(kc, p0, p1, nc, nr, pb, ldb, pr);
        }
        string what = $"{typeof(T).Name} NR {nr}, kc {kc}, nc {nc}";
        Assert.True(twin.AsSpan().SequenceEqual(whole), what + ": PackB differs from the panel-by-panel twin.");
        Assert.True(twin.AsSpan().SequenceEqual(ranges), what + ": row ranges differ from the panel-by-panel twin.");
    }

    [Fact]
    public void Packing_a_column_major_A_depth_by_depth_is_bitwise_the_panel_by_panel_twin()
    {
        var random = new Random(5);
        foreach (int mr in new[] { 8, 12, 6, 4 })
            foreach (int kc in new[] { 1, 3, 17 })
                foreach (int mc in new[] { 1, mr - 1, mr, mr + 1, 8 * mr, 8 * mr + 3, 17 * mr + 5 })
                {
                    if (mc < 1) continue;
                    int lda = mc + 5, panels = (mc + mr - 1) / mr;
                    PackedAsTwin<double>(mc, kc, mr, lda, panels, random);
                    PackedAsTwin<float>(mc, kc, mr, lda, panels, random);
                }
    }

    private static void PackedAsTwin<T>(int mc, int kc, int mr, int lda, int panels, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A[i, p] = a[i + p·lda]: the transposed view of a row-major kc×mc matrix with row stride lda.
        var a = new T[kc * lda];
        for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var twin = new T[panels * mr * kc];
        var packed = new T[twin.Length];
        Array.Fill(twin, T.NaN);
        Array.Fill(packed, T.NaN);
        fixed (T* pa = a, pt = twin, pp = packed)
        {
            GemmPacking.PackAColumnsByPanel(mc, kc, mr, pa, lda, pt);
            GemmPacking.PackA(mc, kc, mr, pa, 1, lda, pp);
        }
        Assert.True(twin.AsSpan().SequenceEqual(packed), $"{typeof(T).Name} MR {mr}, kc {kc}, mc {mc}: PackA differs from the panel-by-panel twin.");
    }

    /// <summary>
    /// A row-major A (the 4×4 register transposes, then the interleaved row pairs, then single rows) against the
    /// definition packed[r·MR·kc + p·MR + i] = A[r·MR + i, p], zero past mc: every row count left over by the transposes
    /// (MR 6 leaves a pair, 7 a pair and a single row, 5 a single row) and depths that are and are not multiples of 4.
    /// </summary>
    [Fact]
    public void Packing_a_row_major_A_is_bitwise_the_one_by_one_twin()
    {
        var random = new Random(7);
        foreach (int mr in new[] { 6, 7, 5, 8, 12, 16 })
            foreach (int kc in new[] { 1, 2, 3, 4, 5, 8, 17, 40 })
                foreach (int mc in new[] { 1, 2, 3, mr - 1, mr, mr + 1, mr + 2, 3 * mr + 4 })
                {
                    if (mc < 1) continue;
                    RowMajorAsTwin<float>(mc, kc, mr, random);
                    RowMajorAsTwin<double>(mc, kc, mr, random);
                }
    }

    private static void RowMajorAsTwin<T>(int mc, int kc, int mr, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lda = kc + 3, panels = (mc + mr - 1) / mr;
        var a = new T[mc * lda];
        for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(random.NextDouble() - 0.5);
        var twin = new T[panels * mr * kc];
        var packed = new T[twin.Length];
        Array.Fill(packed, T.NaN);
        for (int r = 0; r < panels; r++)
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < mr; i++)
                    twin[r * mr * kc + p * mr + i] = r * mr + i < mc ? a[(r * mr + i) * lda + p] : T.Zero;
        fixed (T* pa = a, pp = packed) GemmPacking.PackA(mc, kc, mr, pa, lda, 1, pp);
        Assert.True(twin.AsSpan().SequenceEqual(packed), $"{typeof(T).Name} MR {mr}, kc {kc}, mc {mc}: PackA of a row-major A differs from the one-by-one twin.");
    }

    [Theory, MemberData(nameof(GemmTests.InstructionSets), MemberType = typeof(GemmTests))]
    public void Threads_sharing_one_packed_B_give_bitwise_the_one_thread_product(GemmInstructionSet set)
    {
        SharedOverShapes<float>(set);
        SharedOverShapes<double>(set);
    }

    /// <summary>
    /// Tall products (the rows split over threads) in either loop order with a row-major B: KC deeper than a claim's 16
    /// rows and not a multiple of them, several depth and column panels, several A blocks per thread, an edge micro-panel;
    /// 2 and 3 threads bitwise equal to 1 thread (which packs its own B) and close to the textbook twin.
    /// </summary>
    private static void SharedOverShapes<T>(GemmInstructionSet set) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(29);
        var table = GemmBlockSizes.For<T>(set);
        foreach (bool residentA in new[] { true, false })
        foreach (var (m, n, k) in new[] { (7 * table.MR + 5, 2 * table.NR + 3, 93), (20 * table.MR, 3 * table.NR, 40), (5 * table.MR, table.NR - 1, 17) })
        {
            var blocks = table with { MC = 3 * table.MR, KC = 37, NC = 2 * table.NR, UnpackedBMaxColumns = 0, MinFlopsPerThread = 1, ResidentA = residentA };
            T alpha = T.CreateTruncating(1.25), beta = T.CreateTruncating(-0.5);
            var (a, b, c, expected) = TestProblem.Random(m, n, k, alpha, beta, random, Layout.Padded);
            var one = c.Clone();
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, a.ReadOnly, b.ReadOnly, beta, one.View, new Parallelism(1), set, blocks);
            GemmAssert.Close(expected, one, GemmAssert.Tolerance<T>(k), $"{set} {typeof(T).Name} {m}×{n}×{k} one thread");
            foreach (int threads in new[] { 2, 3 })
            {
                var result = c.Clone();
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, a.ReadOnly, b.ReadOnly, beta, result.View, new Parallelism(threads), set, blocks);
                string what = $"{set} {typeof(T).Name} {m}×{n}×{k} threads {threads} residentA {residentA}";
                Assert.True(one.Data.AsSpan().SequenceEqual(result.Data), what + ": differs from one thread.");
            }
        }
    }

    [Fact]
    public void Only_row_split_products_with_a_packed_row_major_B_of_at_most_36_MiB_share_it()
    {
        var op = new GemmOperands<double> { M = 2048, N = 2048, K = 2048, RsB = 2048, CsB = 1 };
        Assert.True(GemmDriver<double, Avx512Double8x24>.SharesPackedB(op, unpackedB: false, splitColumns: false));
        Assert.False(GemmDriver<double, Avx512Double8x24>.SharesPackedB(op, unpackedB: false, splitColumns: true));
        Assert.False(GemmDriver<double, Avx512Double8x24>.SharesPackedB(op, unpackedB: true, splitColumns: false));
        Assert.False(GemmDriver<double, Avx512Double8x24>.SharesPackedB(op with { RsB = 1, CsB = 2048 }, unpackedB: false, splitColumns: false));
        Assert.False(GemmDriver<double, Avx512Double8x24>.SharesPackedB(op with { N = 4096 }, unpackedB: false, splitColumns: false));
    }

    /// <summary>How the shares of a threaded product start (ForkJoin's work items handed to a queue of the test's own).</summary>
    public enum Start
    {
        /// <summary>The thread pool (null queue).</summary>
        Pool,
        /// <summary>Each work item on a thread of its own at once: the shares run together (3 shares on 2 cores: one lags).</summary>
        OwnThreads,
        /// <summary>The work items held back until the product is done: the caller runs every share, one after another
        /// (as a busy pool does), so a share that waited for one not yet started would hang.</summary>
        Held,
    }

    public static IEnumerable<object[]> SetsAndStarts() =>
        from set in GemmTests.InstructionSets() from start in Enum.GetValues<Start>() select new[] { set[0], start };

    [Theory, MemberData(nameof(SetsAndStarts))]
    public void Threads_sharing_one_packed_B_started_together_or_late_give_bitwise_the_one_thread_product(GemmInstructionSet set, Start start)
    {
        StartsOverShapes<float>(set, start);
        StartsOverShapes<double>(set, start);
    }

    /// <summary>
    /// The shared packed B (SharedPackedB) with its shares started together, through the pool, or one after another on the
    /// calling thread: both loop orders (resident-A with one and with several A blocks per share), up to 15 depth and column
    /// panels, edge micro-panels and row panels, 2 and 3 threads, several times over, bitwise equal to one thread.
    /// </summary>
    private static void StartsOverShapes<T>(GemmInstructionSet set, Start start) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(31);
        var table = GemmBlockSizes.For<T>(set);
        foreach (var (residentA, mc) in new[] { (true, 64 * table.MR), (true, 3 * table.MR), (false, 3 * table.MR) })
        foreach (var (m, n, k) in new[] { (23 * table.MR + 5, 5 * table.NR + 3, 150), (30 * table.MR, 4 * table.NR, 40), (9 * table.MR + 1, table.NR - 1, 17) })
        {
            var blocks = table with { MC = mc, KC = 37, NC = 2 * table.NR, UnpackedBMaxColumns = 0, MinFlopsPerThread = 1, ResidentA = residentA };
            var a = TestMatrix<T>.Random(m, k, Layout.RowMajor, random);
            var c = TestMatrix<T>.Random(m, n, Layout.Padded, random);
            T alpha = T.CreateTruncating(0.75), beta = T.CreateTruncating(1.5);
            foreach (int threads in new[] { 2, 3 })
                for (int round = 0; round < 4; round++)
                {
                    // A new B each time, so that a panel read before it is packed shows (the buffer holds the last product's).
                    var b = TestMatrix<T>.Random(k, n, Layout.RowMajor, random);
                    var one = c.Clone();
                    Assert.False(Product(set, alpha, a, b, beta, one, blocks, 1, Start.Pool));
                    if (round == 0)
                    {
                        var expected = c.Clone();
                        GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);
                        GemmAssert.Close(expected, one, GemmAssert.Tolerance<T>(k), $"{set} {typeof(T).Name} {m}×{n}×{k} one thread");
                    }
                    var result = c.Clone();
                    bool shared = Product(set, alpha, a, b, beta, result, blocks, threads, start);
                    string what = $"{set} {typeof(T).Name} {m}×{n}×{k} threads {threads} residentA {residentA} MC {mc} {start} round {round}";
                    Assert.True(shared, what + ": does not share B.");
                    Assert.True(one.Data.AsSpan().SequenceEqual(result.Data), what + ": differs from one thread.");
                }
        }
    }

    /// <summary>C = α·A·B + β·C through the driver of <paramref name="set"/>'s microkernel, the shares started as
    /// <paramref name="start"/> says; returns whether the threads shared one packed B.</summary>
    private static bool Product<T>(GemmInstructionSet set, T alpha, TestMatrix<T> a, TestMatrix<T> b, T beta, TestMatrix<T> c,
        GemmBlockSizes blocks, int threads, Start start) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (set == GemmInstructionSet.Avx512 && typeof(T) == typeof(float))
            return Product<float, Avx512Float12x32>((float)(object)alpha, (TestMatrix<float>)(object)a, (TestMatrix<float>)(object)b, (float)(object)beta, (TestMatrix<float>)(object)c, blocks, threads, start);
        if (set == GemmInstructionSet.Avx512)
            return Product<double, Avx512Double8x24>((double)(object)alpha, (TestMatrix<double>)(object)a, (TestMatrix<double>)(object)b, (double)(object)beta, (TestMatrix<double>)(object)c, blocks, threads, start);
        if (set == GemmInstructionSet.Avx2) return Product<T, Avx2Microkernel<T>>(alpha, a, b, beta, c, blocks, threads, start);
        return Product<T, PortableMicrokernel<T>>(alpha, a, b, beta, c, blocks, threads, start);
    }

    private static bool Product<T, TKernel>(T alpha, TestMatrix<T> a, TestMatrix<T> b, T beta, TestMatrix<T> c,
        GemmBlockSizes blocks, int threads, Start start) where T : unmanaged, IFloatingPointIeee754<T> where TKernel : IMicrokernel<T>
    {
        var held = new List<IThreadPoolWorkItem>();
        var own = new List<Thread>();
        Action<IThreadPoolWorkItem>? queue = start switch
        {
            Start.Held => held.Add,
            Start.OwnThreads => item =>
            {
                var thread = new Thread(item.Execute) { IsBackground = true };
                own.Add(thread);
                thread.Start();
            },
            _ => null,
        };
        bool shared;
        fixed (T* pa = a.Data, pb = b.Data, pc = c.Data)
        {
            var op = TestOperands.Of(alpha, a, pa, b, pb, beta, c, pc);
            shared = threads > 1 && GemmDriver<T, TKernel>.SharesPackedB(op, unpackedB: false, splitColumns: false);
            GemmDriver<T, TKernel>.Execute(op, blocks, threads, queue);
        }
        foreach (var item in held) item.Execute(); // finds nothing left to claim
        foreach (var thread in own) thread.Join();
        return shared;
    }
}
