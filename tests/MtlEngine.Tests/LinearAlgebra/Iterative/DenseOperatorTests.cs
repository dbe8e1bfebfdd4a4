using System.Numerics;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// <see cref="DenseOperator"/> shares its products over the threads its <see cref="DenseOperator.Parallelism"/> gives, and
/// every degree gives the bits of the one-pass products (a dot product per row, an axpy per row over whole rows), which
/// are held against the textbook double loop.
/// </summary>
public sealed class DenseOperatorTests
{
    private static double[] OnePassTimes(DenseMatrix a, double[] x)
    {
        var y = new double[a.Rows];
        for (int i = 0; i < a.Rows; i++) y[i] = Dense.Dot<double>(a.Row(i), x);
        return y;
    }

    private static double[] OnePassTransposedTimes(DenseMatrix a, double[] x)
    {
        var y = new double[a.Columns];
        for (int i = 0; i < a.Rows; i++) Dense.Axpy<double>(x[i], a.Row(i), y);
        return y;
    }

    private static double[] Textbook(DenseMatrix a, double[] x, bool transposed)
    {
        var y = new double[transposed ? a.Columns : a.Rows];
        for (int i = 0; i < a.Rows; i++)
            for (int j = 0; j < a.Columns; j++)
                if (transposed) y[j] += a[i, j] * x[i]; else y[i] += a[i, j] * x[j];
        return y;
    }

    public static TheoryData<int, int> Shapes => new()
    {
        { 700, 1031 },   // many shares of rows, columns ragged against the vector width
        { 20000, 13 },   // few columns: Aᵀ·x split into vector-width blocks and a scalar tail
        { 3, 60000 },    // few rows: A·x on at most 3 threads
        { 40, 50 },      // below the threshold: one thread whatever the degree
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_degree_gives_the_bits_of_one_pass(int m, int n)
    {
        var a = Random(m, n, m + n);
        var x = Random(n, 1, 1).Data;
        var xt = Random(m, 1, 2).Data;
        var expected = OnePassTimes(a, x);
        var expectedT = OnePassTransposedTimes(a, xt);
        AssertSmall(MaxRelative(expected, Textbook(a, x, false)), 1e-12, "A·x against the textbook loop");
        AssertSmall(MaxRelative(expectedT, Textbook(a, xt, true)), 1e-12, "Aᵀ·x against the textbook loop");
        foreach (Parallelism? p in new Parallelism?[] { null, Parallelism.Sequential, new Parallelism(2), new Parallelism(3), new Parallelism(5) })
        {
            var op = new DenseOperator(a, p);
            var y = new double[m];
            var yt = Enumerable.Repeat(double.NaN, n).ToArray();   // ApplyTransposed overwrites y, old contents unread
            op.Apply(x, y);
            op.ApplyTransposed(xt, yt);
            Assert.Equal(expected, y);
            Assert.Equal(expectedT, yt);
        }
    }

    [Fact]
    public void The_products_are_split_by_the_degree_and_the_size()
    {
        Assert.Equal(1, DenseOperator.Shares(1000, 1000, 1000, Parallelism.Sequential));
        Assert.Equal(3, DenseOperator.Shares(1000, 1000, 1000, new Parallelism(3)));
        Assert.Equal(2, DenseOperator.Shares(1000, 1000, 2, new Parallelism(3)));              // A·x of two rows: two shares at most
        Assert.Equal(1, DenseOperator.Shares(40, 50, 40, new Parallelism(8)));                // 2,000 multiply-adds: not worth a thread
        int perThread = MtlEngine.Kernels.ParallelThresholds.GemvMultiplyAddsPerThread;
        Assert.Equal(2, DenseOperator.Shares(2, perThread, 2, new Parallelism(8)));           // two threads' worth of work
        Assert.Equal(1, DenseOperator.Shares(0, 1000, 0, new Parallelism(4)));
    }

    [Theory]
    [InlineData(13, 3)]
    [InlineData(1031, 5)]
    [InlineData(64, 7)]
    public void Column_ranges_start_on_the_vector_width_and_cover_the_columns(int n, int shares)
    {
        int width = Vector<double>.Count;
        Assert.Equal(0, DenseOperator.ColumnStart(n, 0, shares));
        Assert.Equal(n, DenseOperator.ColumnStart(n, shares, shares));
        for (int t = 1; t < shares; t++)
        {
            int c = DenseOperator.ColumnStart(n, t, shares);
            Assert.Equal(0, c % width);
            Assert.True(c >= DenseOperator.ColumnStart(n, t - 1, shares) && c <= n);
        }
    }

    private static double MaxRelative(double[] a, double[] b)
    {
        double scale = b.Max(Math.Abs), worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / scale);
        return worst;
    }
}
