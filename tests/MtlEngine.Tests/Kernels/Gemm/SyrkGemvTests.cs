using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

public class SyrkGemvTests
{
    [Theory]
    [InlineData(Triangle.Lower, false, 1)]
    [InlineData(Triangle.Upper, false, 2)]
    [InlineData(Triangle.Lower, true, 3)]
    [InlineData(Triangle.Upper, true, 1)]
    public void Syrk_matches_its_twin_and_leaves_the_other_triangle_alone(Triangle triangle, bool mirror, int threads)
    {
        var random = new Random(31);
        foreach (var (k, n) in new[] { (0, 3), (1, 1), (7, 5), (50, 200), (300, 37), (9, 385) })
        {
            var a = TestMatrix<double>.Random(k, n, Layout.Padded, random);
            var c = TestMatrix<double>.Random(n, n, Layout.RowMajor, random);
            var expected = c.Clone();
            Syrk.UpdateReference(0.5, a.ReadOnly, -2.0, expected.View, triangle, mirror ? OtherTriangle.Mirrored : OtherTriangle.Kept);
            Syrk.Update(0.5, a.ReadOnly, -2.0, c.View, triangle, mirror ? OtherTriangle.Mirrored : OtherTriangle.Kept, new Parallelism(threads));
            GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(k), $"SYRK {triangle} mirror={mirror} {k}×{n}");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (mirror) Assert.Equal(c[i, j], c[j, i]);
        }
    }

    [Fact]
    public void Syrk_of_a_transposed_view_is_A_times_A_transposed_and_beta_zero_ignores_NaN()
    {
        var random = new Random(37);
        var a = TestMatrix<float>.Random(40, 130, Layout.RowMajor, random); // Gram of rows: A·Aᵀ, 40×40
        var c = TestMatrix<float>.Random(40, 40, Layout.ColumnMajor, random);
        Array.Fill(c.Data, float.NaN);
        var expected = TestMatrix<float>.Random(40, 40, Layout.RowMajor, random);
        GemmReference.Multiply(1f, a.ReadOnly, a.ReadOnly.Transposed(), 0f, expected.View);
        Syrk.Update(1f, a.ReadOnly.Transposed(), 0f, c.View, Triangle.Upper, OtherTriangle.Mirrored);
        GemmAssert.Close(expected, c, GemmAssert.Tolerance<float>(130), "A·Aᵀ through SYRK");
        Assert.Throws<ArgumentException>(() => Syrk.Update(1f, a.ReadOnly, 0f, c.View));
    }

    [Theory]
    [InlineData(Triangle.Lower, OtherTriangle.Kept, 4096, 3)]     // the row products: the fewest rows of A they take
    [InlineData(Triangle.Upper, OtherTriangle.Kept, 5003, 32)]    // and the most columns
    [InlineData(Triangle.Lower, OtherTriangle.Mirrored, 4095, 5)] // the GEMM: one row fewer
    [InlineData(Triangle.Upper, OtherTriangle.Mirrored, 4100, 33)] // one column more
    public void Syrk_of_a_long_thin_transposed_view_matches_its_twin_on_both_paths(Triangle triangle, OtherTriangle other, int k, int n)
    {
        var random = new Random(41);
        var a = TestMatrix<double>.Random(n, k, Layout.RowMajor, random); // J, n×k; SYRK of Jᵀ (contiguous columns) is J·Jᵀ
        var c = TestMatrix<double>.Random(n, n, Layout.RowMajor, random);
        var expected = c.Clone();
        Syrk.UpdateReference(0.5, a.ReadOnly.Transposed(), -2.0, expected.View, triangle, other);
        Syrk.Update(0.5, a.ReadOnly.Transposed(), -2.0, c.View, triangle, other);
        GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(k), $"SYRK {triangle} {other} {k}×{n}");
        if (other == OtherTriangle.Kept)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (triangle == Triangle.Lower ? j > i : j < i) Assert.Equal(expected[i, j], c[i, j]);
    }

    [Theory]
    [InlineData(MatrixOp.None, Layout.RowMajor, 1)]
    [InlineData(MatrixOp.None, Layout.RowMajor, 2)]
    [InlineData(MatrixOp.Transpose, Layout.RowMajor, 2)]
    [InlineData(MatrixOp.None, Layout.ColumnMajor, 1)]
    [InlineData(MatrixOp.None, Layout.Padded, 1)]
    public void Gemv_matches_its_twin(MatrixOp op, Layout layout, int threads)
    {
        var random = new Random(41);
        foreach (var (rows, columns) in new[] { (0, 4), (3, 0), (1, 1), (17, 33), (513, 300) })
        {
            var a = TestMatrix<float>.Random(rows, columns, layout, random);
            int m = op == MatrixOp.None ? rows : columns, k = op == MatrixOp.None ? columns : rows;
            var x = Enumerable.Range(0, k).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var y = Enumerable.Range(0, m).Select(_ => (float)random.NextDouble()).ToArray();
            var expected = (float[])y.Clone();
            Gemv.MultiplyReference(1.25f, a.ReadOnly, op, x, 0.5f, expected);
            Gemv.Multiply(1.25f, a.ReadOnly, op, x, 0.5f, y, new Parallelism(threads));
            for (int i = 0; i < m; i++) Assert.True(Math.Abs(expected[i] - y[i]) <= GemmAssert.Tolerance<float>(k) * Math.Max(1, Math.Abs(expected[i])), $"GEMV y[{i}]");
            Array.Fill(y, float.NaN);
            Gemv.Multiply(1f, a.ReadOnly, op, x, 0f, y);
            Assert.All(y, v => Assert.False(float.IsNaN(v)));
        }
        Assert.Throws<ArgumentException>(() => Gemv.Multiply(1f, new ReadOnlyMatrixSpan<float>(new float[6], 2, 3), MatrixOp.None, new float[2], 0f, new float[2]));
    }
}
