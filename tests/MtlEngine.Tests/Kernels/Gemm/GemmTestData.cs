using MtlEngine.Kernels;
using System.Numerics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>How a test matrix is laid out in memory.</summary>
public enum Layout { RowMajor, ColumnMajor, Padded, Reversed }

/// <summary>The driver's operands for C = α·A·B + β·C over test matrices whose arrays the caller has pinned at the pointers given.</summary>
public static unsafe class TestOperands
{
    internal static GemmOperands<T> Of<T>(T alpha, TestMatrix<T> a, T* pa, TestMatrix<T> b, T* pb, T beta, TestMatrix<T> c, T* pc)
        where T : unmanaged, IFloatingPointIeee754<T> => new()
    {
        M = c.Rows, N = c.Columns, K = a.Columns,
        A = pa + a.Offset, RsA = a.RowStride, CsA = a.ColumnStride,
        B = pb + b.Offset, RsB = b.RowStride, CsB = b.ColumnStride,
        C = pc + c.Offset, RsC = c.RowStride, CsC = c.ColumnStride,
        Alpha = alpha, Beta = beta,
    };
}

/// <summary>A random product to test: row-major A (m×k) and B (k×n), C (m×n) in a given layout, drawn in that order, and the
/// textbook twin's α·A·B + β·C.</summary>
public static class TestProblem
{
    public static (TestMatrix<T> A, TestMatrix<T> B, TestMatrix<T> C, TestMatrix<T> Expected) Random<T>(int m, int n, int k, T alpha, T beta,
        Random random, Layout cLayout = Layout.RowMajor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TestMatrix<T>.Random(m, k, Layout.RowMajor, random);
        var b = TestMatrix<T>.Random(k, n, Layout.RowMajor, random);
        var c = TestMatrix<T>.Random(m, n, cLayout, random);
        var expected = c.Clone();
        GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);
        return (a, b, c, expected);
    }
}

/// <summary>A test matrix: an array plus the view (offset, strides) that lays an m×n matrix into it.</summary>
public sealed class TestMatrix<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T[] Data = [];
    public int Offset, Rows, Columns, RowStride, ColumnStride;

    public MatrixSpan<T> View => new(Data, Offset, Rows, Columns, RowStride, ColumnStride);
    public ReadOnlyMatrixSpan<T> ReadOnly => View;

    public T this[int i, int j] { get => Data[Offset + i * RowStride + j * ColumnStride]; set => Data[Offset + i * RowStride + j * ColumnStride] = value; }

    /// <summary>An m×n matrix of uniform values in [-1, 1) in the given layout; gaps are filled with NaN so a read outside the view shows.</summary>
    public static TestMatrix<T> Random(int rows, int columns, Layout layout, Random random)
    {
        var m = new TestMatrix<T> { Rows = rows, Columns = columns };
        switch (layout)
        {
            case Layout.RowMajor: m.Data = new T[rows * columns]; m.RowStride = columns; m.ColumnStride = 1; break;
            case Layout.ColumnMajor: m.Data = new T[rows * columns]; m.RowStride = 1; m.ColumnStride = rows; break;
            case Layout.Padded: // every other column of a row-major matrix with 3 spare elements per row, starting at 5
                m.Offset = 5; m.ColumnStride = 2; m.RowStride = 2 * columns + 3; m.Data = new T[5 + rows * m.RowStride]; break;
            case Layout.Reversed: // rows stored bottom-up (negative row stride)
                m.RowStride = -columns; m.ColumnStride = 1; m.Offset = Math.Max(rows - 1, 0) * columns; m.Data = new T[rows * columns]; break;
        }
        Array.Fill(m.Data, T.NaN);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                m[i, j] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        return m;
    }

    public TestMatrix<T> Clone() => new() { Data = (T[])Data.Clone(), Offset = Offset, Rows = Rows, Columns = Columns, RowStride = RowStride, ColumnStride = ColumnStride };
}

public static class GemmAssert
{
    /// <summary>|x − y| ≤ tol·(scale) elementwise, where scale bounds the size of the sums (k·max|a|·max|b|).</summary>
    public static void Close<T>(TestMatrix<T> expected, TestMatrix<T> actual, double tolerance, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < expected.Rows; i++)
            for (int j = 0; j < expected.Columns; j++)
            {
                double e = double.CreateTruncating(expected[i, j]), a = double.CreateTruncating(actual[i, j]);
                if (!(Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e))))
                    Assert.Fail($"{what}: C[{i}, {j}] = {a}, reference {e} (tolerance {tolerance}).");
            }
    }

    /// <summary>Elements of C's array outside the view must be untouched (still NaN).</summary>
    public static void GapsUntouched<T>(TestMatrix<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var inside = new bool[c.Data.Length];
        for (int i = 0; i < c.Rows; i++)
            for (int j = 0; j < c.Columns; j++) inside[c.Offset + i * c.RowStride + j * c.ColumnStride] = true;
        for (int x = 0; x < c.Data.Length; x++)
            if (!inside[x]) Assert.True(T.IsNaN(c.Data[x]), $"GEMM wrote element {x} of C's array, outside the view.");
    }

    public static double Tolerance<T>(int k) => (typeof(T) == typeof(float) ? 2e-6 : 4e-15) * (k + 4);

    /// <summary>
    /// C = 1.5·A·B + 0.5·C for random row-major m×k, k×n and m×n operands (seeded by the shape) through
    /// <paramref name="set"/> with <paramref name="blocks"/>: checks the 1-thread product against the reference and the
    /// 2-thread one against it bitwise, and returns it (a table row's own test, e.g. Zen5DoubleRowTests).
    /// </summary>
    public static TestMatrix<T> RowProductOnOneAndTwoThreads<T>(GemmInstructionSet set, GemmBlockSizes blocks, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T alpha = T.CreateTruncating(1.5), beta = T.CreateTruncating(0.5);
        var (a, b, c, expected) = TestProblem.Random(m, n, k, alpha, beta, new Random(m + n + k));
        var one = c.Clone();
        var two = c.Clone();
        global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, a.ReadOnly, b.ReadOnly, beta, one.View, new Parallelism(1), set, blocks);
        global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(alpha, a.ReadOnly, b.ReadOnly, beta, two.View, new Parallelism(2), set, blocks);
        Close(expected, one, Tolerance<T>(k), $"{m}x{n}x{k} 1 thread");
        Assert.True(one.Data.AsSpan().SequenceEqual(two.Data), $"{m}x{n}x{k}: 1 and 2 threads differ");
        return one;
    }
}
