using System.Numerics;
using System.Runtime.Intrinsics.X86;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>
/// BLIS's order with more than one column panel packs A in super-blocks of whole MC blocks (GemmDriver.SuperBlockRows):
/// the rows rule, and the product with super-blocks of one, two, three and all the blocks bitwise equal to the product with
/// one column panel (where each A block is packed just before its tiles) and close to the textbook twin.
/// </summary>
public unsafe class GemmSuperBlockTests
{
    [Fact]
    public void Super_blocks_are_whole_MC_blocks_split_evenly_within_the_byte_limit()
    {
        // Double m = 2048, MC 144, KC 256 (15 blocks of 288 KiB): 4 MiB holds 14, so two super-blocks of 8 and 7 blocks, not
        // 14 and then 1; 8 MiB holds all 15.
        Assert.Equal(8 * 144, GemmDriver<double, PortableMicrokernel<double>>.SuperBlockRows(2048, 144, 256, 4L << 20));
        Assert.Equal(15 * 144, GemmDriver<double, PortableMicrokernel<double>>.SuperBlockRows(2048, 144, 256, 8L << 20));
        Assert.Equal(144, GemmDriver<double, PortableMicrokernel<double>>.SuperBlockRows(2048, 144, 256, 1)); // at least one block
        for (int m = 1; m < 3000; m += 37)
            foreach (long bytes in new[] { 1L, 100_000, 1L << 20, 8L << 20 })
            {
                int rows = GemmDriver<float, PortableMicrokernel<float>>.SuperBlockRows(m, 48, 64, bytes);
                int aBlocks = (m + 47) / 48, perSuperBlock = rows / 48, superBlocks = (aBlocks + perSuperBlock - 1) / perSuperBlock;
                long limit = Math.Max(1, bytes / (48 * 64 * sizeof(float)));
                Assert.True(rows % 48 == 0 && perSuperBlock >= 1 && perSuperBlock <= Math.Min(aBlocks, limit), $"m = {m}, {bytes} bytes: {rows} rows");
                // Even: no super-block more than one block short of the others, and no more super-blocks than the limit needs.
                Assert.True(aBlocks - (superBlocks - 1) * perSuperBlock >= perSuperBlock - (superBlocks - 1), $"m = {m}, {bytes} bytes: uneven");
                long most = Math.Min(aBlocks, limit);
                Assert.Equal((aBlocks + most - 1) / most, superBlocks);
            }
    }

    [Fact]
    public void Super_blocks_of_any_size_give_bitwise_the_product_with_one_column_panel()
    {
        OverSuperBlocks<float, PortableMicrokernel<float>>();
        OverSuperBlocks<double, PortableMicrokernel<double>>();
        if (Avx2.IsSupported && Fma.IsSupported)
        {
            OverSuperBlocks<float, Avx2Microkernel<float>>();
            OverSuperBlocks<double, Avx2Microkernel<double>>();
        }
    }

    private static void OverSuperBlocks<T, TKernel>()
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IMicrokernel<T>
    {
        var random = new Random(43);
        int mr = TKernel.MR, nr = TKernel.NR;
        // MC = 2·MR, KC = 7, NC = 2·NR: several depth blocks (one short), column panels (one narrow) and A blocks (one short).
        var blocks = new GemmBlockSizes(mr, nr, MC: 2 * mr, KC: 7, NC: 2 * nr, UnpackedBMaxColumns: 0, MinFlopsPerThread: 1);
        long blockBytes = (long)blocks.MC * blocks.KC * sizeof(T);
        foreach (var (m, n, k) in new[] { (7 * mr + 3, 5 * nr + 1, 30), (6 * mr, 2 * nr + 3, 14), (2 * mr + 1, 4 * nr, 7) })
        {
            T alpha = T.CreateTruncating(0.75), beta = T.CreateTruncating(-0.5);
            var (a, b, c, expected) = TestProblem.Random(m, n, k, alpha, beta, random);
            var onePanel = c.Clone();
            Run<T, TKernel>(a, b, onePanel, alpha, beta, blocks with { NC = n + nr }, GemmDriver<T, TKernel>.ASuperBlockBytes);
            string what = $"{typeof(TKernel).Name} {m}×{n}×{k}";
            GemmAssert.Close(expected, onePanel, GemmAssert.Tolerance<T>(k), what + " one column panel");
            foreach (long bytes in new[] { blockBytes, 2 * blockBytes, 3 * blockBytes, 1L << 30 })
            {
                var result = c.Clone();
                Run<T, TKernel>(a, b, result, alpha, beta, blocks, bytes);
                Assert.True(onePanel.Data.AsSpan().SequenceEqual(result.Data), $"{what}, super-blocks of {bytes / blockBytes} blocks: differs from one column panel.");
            }
        }
    }

    private static void Run<T, TKernel>(TestMatrix<T> a, TestMatrix<T> b, TestMatrix<T> c, T alpha, T beta, GemmBlockSizes blocks, long superBlockBytes)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IMicrokernel<T>
    {
        fixed (T* pa = a.Data, pb = b.Data, pc = c.Data)
        {
            var op = TestOperands.Of(alpha, a, pa, b, pb, beta, c, pc);
            GemmDriver<T, TKernel>.Run(op, blocks with { KC = GemmDriver<T, TKernel>.DepthBlock(op.K, blocks.KC) }, unpackedB: false, shared: default, superBlockBytes);
        }
    }
}
