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
        var random = new Random(2100);
        var a = TestMatrix<double>.Random(m, k, Layout.RowMajor, random);
        var b = TestMatrix<double>.Random(k, n, Layout.RowMajor, random);
        var c = TestMatrix<double>.Random(m, n, Layout.RowMajor, random);
        var expected = c.Clone();
        GemmReference.Multiply(1.5, a.ReadOnly, b.ReadOnly, 0.5, expected.View);
        var reference = c.Clone();
        global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.5, a.ReadOnly, b.ReadOnly, 0.5, reference.View, new Parallelism(1), GemmInstructionSet.Avx512, zen5);
        GemmAssert.Close(expected, reference, GemmAssert.Tolerance<double>(k), "Zen 5's row");
        foreach (int threads in new[] { 1, 2 })
        {
            var product = c.Clone();
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.5, a.ReadOnly, b.ReadOnly, 0.5, product.View, new Parallelism(threads), GemmInstructionSet.Avx512, zen4);
            Assert.True(reference.Data.AsSpan().SequenceEqual(product.Data), $"Zen 4's row on {threads} thread(s) differs from Zen 5's");
        }
    }

    [Avx2Fact]
    public void Zen4s_AVX2_float_row_gives_the_reference_product_bitwise_alike_on_1_and_2_threads()
    {
        // k = 800: 3 depth blocks of 267 (KC 384); k = 400: one block (up to KC·9/8); m = 301 and n = 77 end on edge tiles.
        foreach (var (m, n, k) in new[] { (301, 77, 800), (150, 200, 400) })
        {
            var blocks = GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Zen4, m, n, k);
            Assert.Equal(384, blocks.KC);
            var random = new Random(m + n + k);
            var a = TestMatrix<float>.Random(m, k, Layout.RowMajor, random);
            var b = TestMatrix<float>.Random(k, n, Layout.RowMajor, random);
            var c = TestMatrix<float>.Random(m, n, Layout.RowMajor, random);
            var expected = c.Clone();
            GemmReference.Multiply(1.5f, a.ReadOnly, b.ReadOnly, 0.5f, expected.View);
            var one = c.Clone();
            var two = c.Clone();
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.5f, a.ReadOnly, b.ReadOnly, 0.5f, one.View, new Parallelism(1), GemmInstructionSet.Avx2, blocks);
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.5f, a.ReadOnly, b.ReadOnly, 0.5f, two.View, new Parallelism(2), GemmInstructionSet.Avx2, blocks);
            GemmAssert.Close(expected, one, GemmAssert.Tolerance<float>(k), $"{m}x{n}x{k} 1 thread");
            Assert.True(one.Data.AsSpan().SequenceEqual(two.Data), $"{m}x{n}x{k}: 1 and 2 threads differ");
        }
    }
}
