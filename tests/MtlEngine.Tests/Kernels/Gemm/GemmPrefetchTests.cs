using System.Numerics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>
/// Products with few B micro-panels ask for the next A block while the current one computes (GemmDriver.PrefetchMaxPanels):
/// which lines a block's prefetch walks, that the tiles' slices cover every run once, and that such products, with A in
/// every layout and several A and depth blocks, match the textbook twin and give bitwise the same C on 1 and 2 threads.
/// </summary>
public unsafe class GemmPrefetchTests
{
    [Fact]
    public void A_block_is_prefetched_by_its_rows_when_depths_are_contiguous_and_by_its_depths_when_rows_are()
    {
        Assert.Equal(144, GemmPacking.PrefetchRuns(144, 256, rsA: 512, csA: 1));   // row-major A: a run per row
        Assert.Equal(256, GemmPacking.PrefetchRuns(144, 256, rsA: 1, csA: 512));   // A = Xᵀ of a row-major X: a run per depth
        Assert.Equal(144, GemmPacking.PrefetchRuns(144, 256, rsA: -512, csA: 1));  // rows stored bottom-up
        Assert.Equal(0, GemmPacking.PrefetchRuns(144, 256, rsA: 1030, csA: 2));    // other strides: nothing
    }

    [Fact]
    public void The_tiles_slices_cover_every_run_once_in_order()
    {
        foreach (int runs in new[] { 0, 1, 7, 144, 256, 1000 })
            foreach (int tiles in new[] { 1, 2, 5, 60, 144, 2000 })
            {
                int next = 0;
                for (int tile = 0; tile < tiles; tile++)
                {
                    var (from, count) = GemmDriver<double, PortableMicrokernel<double>>.PrefetchSlice(runs, tiles, tile);
                    Assert.True(from == next && count >= 0, $"{runs} runs over {tiles} tiles: tile {tile} starts at {from}, expected {next}");
                    Assert.True(count <= (runs + tiles - 1) / tiles, $"{runs} runs over {tiles} tiles: tile {tile} takes {count}");
                    next = from + count;
                }
                Assert.Equal(runs, next);
            }
    }

    [Fact]
    public void Few_panel_products_match_the_textbook_twin_and_agree_bitwise_on_one_and_two_threads()
    {
        OverLayouts<float, PortableMicrokernel<float>>();
        OverLayouts<double, PortableMicrokernel<double>>();
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            OverLayouts<float, Avx2Microkernel<float>>();
            OverLayouts<double, Avx2Microkernel<double>>();
        }
        if (Avx512F.IsSupported)
        {
            OverLayouts<float, Avx512Float12x32>();
            OverLayouts<double, Avx512Double8x24>();
        }
    }

    private static void OverLayouts<T, TKernel>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IMicrokernel<T>
    {
        var random = new Random(47);
        int mr = TKernel.MR, nr = TKernel.NR;
        // MC = 2·MR, KC = 7: several A blocks (one short) at each of several depth blocks (one short), so a block's next is
        // sometimes the next rows and sometimes the first rows at the next depth; 1 to 3 B micro-panels (one narrow).
        // Any A is prefetched (PrefetchMinABytes 0).
        var blocks = new GemmBlockSizes(mr, nr, MC: 2 * mr, KC: 7, NC: 4 * nr, UnpackedBMaxColumns: 0, MinFlopsPerThread: 1, PrefetchMinABytes: 0);
        foreach (var layout in new[] { Layout.RowMajor, Layout.ColumnMajor, Layout.Padded, Layout.Reversed })
            foreach (var (m, n, k) in new[] { (9 * mr + 5, 2 * nr + 3, 30), (4 * mr, nr, 14), (5 * mr + 1, 3 * nr, 7) })
            {
                T alpha = T.CreateTruncating(1.25), beta = T.CreateTruncating(-0.5);
                var a = TestMatrix<T>.Random(m, k, layout, random);
                var b = TestMatrix<T>.Random(k, n, Layout.RowMajor, random);
                var c = TestMatrix<T>.Random(m, n, Layout.RowMajor, random);
                var expected = c.Clone();
                GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);
                var one = c.Clone();
                var two = c.Clone();
                Execute<T, TKernel>(alpha, a, b, beta, one, blocks, threads: 1);
                Execute<T, TKernel>(alpha, a, b, beta, two, blocks, threads: 2);
                string what = $"{typeof(TKernel).Name} {m}×{n}×{k}, A {layout}";
                GemmAssert.Close(expected, one, GemmAssert.Tolerance<T>(k), what);
                Assert.True(one.Data.AsSpan().SequenceEqual(two.Data), $"{what}: 1 and 2 threads differ");
            }
    }

    private static void Execute<T, TKernel>(T alpha, TestMatrix<T> a, TestMatrix<T> b, T beta, TestMatrix<T> c, GemmBlockSizes blocks, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IMicrokernel<T>
    {
        fixed (T* pa = a.Data, pb = b.Data, pc = c.Data)
            GemmDriver<T, TKernel>.Execute(TestOperands.Of(alpha, a, pa, b, pb, beta, c, pc), blocks, threads);
    }
}
