using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>Zen 5's AVX-512 double resident-A row (KC 512, NC 96): deep products split into depth blocks of up to 512 and
/// column panels of 96, against the reference, bitwise the same on 1 and 2 threads.</summary>
public class Zen5DoubleRowTests
{
    [Fact]
    public void Zen5s_double_row_blocks_k_1024_into_two_depth_blocks()
    {
        var blocks = GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, 1024, 1024, 1024);
        Assert.True(blocks.ResidentA);
        Assert.Equal(512, GemmDriver<double, PortableMicrokernel<double>>.DepthBlock(1024, blocks.KC));
        Assert.Equal(367, GemmDriver<double, PortableMicrokernel<double>>.DepthBlock(1100, blocks.KC));
    }

    [Avx512Fact]
    public void Zen5s_double_row_gives_the_reference_product_bitwise_alike_on_1_and_2_threads()
    {
        // 3 depth blocks of 367, 250 columns (two panels of 96 and one of 58: an edge tile), β ≠ 0 so every block updates C;
        // 2 depth blocks of 512, one column past the first panel; 4 blocks of 512, 1000 columns end on the 16-column narrow tile.
        foreach (var (m, n, k) in new[] { (203, 250, 1100), (130, 97, 1024), (64, 1000, 2048) })
            GemmAssert.RowProductOnOneAndTwoThreads<double>(GemmInstructionSet.Avx512,
                GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, m, n, k), m, n, k);
    }
}
