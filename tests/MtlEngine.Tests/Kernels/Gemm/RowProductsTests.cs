using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

// C += A·Bᵀ by dot products of rows against the textbook GEMM (its twin), over odd shapes: k shorter than a vector and
// not a multiple of one, n not a multiple of the four rows done at a time, padded row strides.
public class RowProductsTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(6, 25, 784)]
    [InlineData(3, 7, 5)]
    [InlineData(2, 4, 8)]
    [InlineData(5, 9, 33)]
    [InlineData(7, 3, 0)]
    public void AddsTheProductToCAsTheReferenceGemm(int m, int n, int k)
    {
        var random = new Random(m * 100 + n * 10 + k);
        int lda = k + 3, ldb = k + 1, ldc = n + 2;
        var a = Enumerable.Range(0, Math.Max(0, (m - 1) * lda + k)).Select(_ => random.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, Math.Max(0, (n - 1) * ldb + k)).Select(_ => random.NextDouble() - 0.5).ToArray();
        var c = Enumerable.Range(0, (m - 1) * ldc + n).Select(_ => random.NextDouble()).ToArray();
        var expected = (double[])c.Clone();
        GemmReference.Multiply(1.0, new ReadOnlyMatrixSpan<double>(a, 0, m, k, lda, 1), new ReadOnlyMatrixSpan<double>(b, 0, k, n, 1, ldb), 1.0,
            new MatrixSpan<double>(expected, 0, m, n, ldc, 1));
        RowProducts.AddTo<double>(m, n, k, a, lda, b, ldb, c, ldc);
        for (int i = 0; i < c.Length; i++)
            Assert.True(Math.Abs(expected[i] - c[i]) <= 1e-12 * (1 + k), $"element {i}: {expected[i]:R} vs {c[i]:R}");
        var gap = (double[])c.Clone();
        RowProducts.AddTo<double>(m, n, k, a, lda, b, ldb, c, ldc); // the gaps between rows of C stay as they were
        for (int i = 0; i < m - 1; i++)
            for (int j = n; j < ldc; j++) Assert.Equal(gap[i * ldc + j], c[i * ldc + j]);
    }

    [Fact]
    public void RefusesSpansShorterThanTheShapes() =>
        Assert.Throws<ArgumentException>(() => RowProducts.AddTo<float>(2, 2, 4, new float[7], 4, new float[8], 4, new float[4], 2));
}
