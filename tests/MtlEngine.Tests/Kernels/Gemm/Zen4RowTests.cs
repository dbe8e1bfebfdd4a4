using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>Zen 4's own rows: the AVX-512 double row (Zen 5's resident-A row with A blocks of 1024 rows instead of 2048;
/// MC only groups rows, so the product is bitwise Zen 5's, on 1 and 2 threads) and the AVX2 float row (KC 384).</summary>
public class Zen4RowTests
{
    [Avx512Fact]
    public void Zen4s_double_row_gives_Zen5s_product_bitwise_with_several_A_blocks()
    {
        // m = 2100: three evened A blocks (704, 704, 692 rows) on Zen 4, one of 2100 on Zen 5 (RowBlock); on 2 threads each
        // share of 1050 rows is two blocks of 528 and 522 on Zen 4, one on Zen 5. k = 1100: 3 depth blocks of 367; n = 250: an edge tile.
        const int m = 2100, n = 250, k = 1100;
        var zen4 = GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen4, m, n, k);
        var zen5 = GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, m, n, k);
        Assert.True(zen4.ResidentA);
        Assert.Equal(704, GemmDriver<double, PortableMicrokernel<double>>.RowBlock(m, zen4.MC, zen4.MR));
        Assert.Equal(528, GemmDriver<double, PortableMicrokernel<double>>.RowBlock(m / 2, zen4.MC, zen4.MR));
        var zen5Product = GemmAssert.RowProductOnOneAndTwoThreads<double>(GemmInstructionSet.Avx512, zen5, m, n, k);
        var zen4Product = GemmAssert.RowProductOnOneAndTwoThreads<double>(GemmInstructionSet.Avx512, zen4, m, n, k);
        Assert.True(zen5Product.Data.AsSpan().SequenceEqual(zen4Product.Data), "Zen 4's row differs from Zen 5's");
    }

    [Avx2Fact]
    public void Zen4s_AVX2_float_row_gives_the_reference_product_bitwise_alike_on_1_and_2_threads()
    {
        // k = 800: 3 depth blocks of 267 (KC 384); k = 400: one block (up to KC·9/8); m = 301 and n = 77 end on edge tiles.
        foreach (var (m, n, k) in new[] { (301, 77, 800), (150, 200, 400) })
        {
            var blocks = GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Zen4, m, n, k);
            Assert.Equal(384, blocks.KC);
            GemmAssert.RowProductOnOneAndTwoThreads<float>(GemmInstructionSet.Avx2, blocks, m, n, k);
        }
    }
}
