using System.Numerics.Tensors;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>Small level-1 helpers and sub-views shared by the factorizations (internal; the math lives in the factorization folders).</summary>
internal static class Dense
{
    /// <summary>The sub-block [r0, r0 + rows) × [c0, c0 + columns) of a view.</summary>
    public static MatrixSpan<double> Sub(MatrixSpan<double> a, int r0, int c0, int rows, int columns) =>
        rows == 0 || columns == 0
            ? new MatrixSpan<double>(a.Data, 0, rows, columns, a.RowStride, a.ColumnStride)
            : new MatrixSpan<double>(a.Data, a.Offset + r0 * a.RowStride + c0 * a.ColumnStride, rows, columns, a.RowStride, a.ColumnStride);

    /// <summary>The sub-block [r0, r0 + rows) × [c0, c0 + columns) of a read-only view.</summary>
    public static ReadOnlyMatrixSpan<double> Sub(ReadOnlyMatrixSpan<double> a, int r0, int c0, int rows, int columns) =>
        rows == 0 || columns == 0
            ? new ReadOnlyMatrixSpan<double>(a.Data, 0, rows, columns, a.RowStride, a.ColumnStride)
            : new ReadOnlyMatrixSpan<double>(a.Data, a.Offset + r0 * a.RowStride + c0 * a.ColumnStride, rows, columns, a.RowStride, a.ColumnStride);

    /// <summary>The sub-block of a dense matrix as a view.</summary>
    public static MatrixSpan<double> Sub(DenseMatrix a, int r0, int c0, int rows, int columns) => Sub(a.Span, r0, c0, rows, columns);

    /// <summary>√Σ xᵢ² without overflow for ordinary magnitudes (scaled when the plain sum would overflow or underflow).</summary>
    public static double Norm2(ReadOnlySpan<double> x)
    {
        double s = TensorPrimitives.SumOfSquares(x);
        if (s > 1e-280 && s < 1e280 || s == 0) return Math.Sqrt(s);
        double scale = TensorPrimitives.MaxMagnitude(x);
        if (scale == 0 || !double.IsFinite(scale)) return scale == 0 ? 0 : Math.Abs(scale);
        double sum = 0;
        foreach (double v in x) { double t = v / scale; sum += t * t; }
        return scale * Math.Sqrt(sum);
    }

    /// <summary>x·y.</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => TensorPrimitives.Dot(x, y);

    /// <summary>y ← y + α·x.</summary>
    public static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y) => TensorPrimitives.MultiplyAdd(x, alpha, y, y);

    /// <summary>x ← α·x.</summary>
    public static void Scale(double alpha, Span<double> x) => TensorPrimitives.Multiply(x, alpha, x);

    /// <summary>Copies column <paramref name="j"/> of rows [r0, r1) of a view into <paramref name="destination"/>.</summary>
    public static void CopyColumn(ReadOnlyMatrixSpan<double> a, int j, int r0, Span<double> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = a[r0 + i, j];
    }

    /// <summary>Exchanges the contents of two spans of equal length.</summary>
    public static void Swap(Span<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++) (x[i], y[i]) = (y[i], x[i]);
    }

    /// <summary>max |aᵢⱼ| (0 for an empty matrix).</summary>
    public static double MaxAbs(ReadOnlySpan<double> x) => x.Length == 0 ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(x));
}
