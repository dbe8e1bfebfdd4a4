using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>Small level-1 helpers and sub-views shared by the factorizations (internal; the math lives in the factorization folders).</summary>
internal static class Dense
{
    /// <summary>The sub-block [r0, r0 + rows) × [c0, c0 + columns) of a view.</summary>
    public static MatrixSpan<T> Sub<T>(MatrixSpan<T> a, int r0, int c0, int rows, int columns) =>
        rows == 0 || columns == 0
            ? new MatrixSpan<T>(a.Data, 0, rows, columns, a.RowStride, a.ColumnStride)
            : new MatrixSpan<T>(a.Data, a.Offset + r0 * a.RowStride + c0 * a.ColumnStride, rows, columns, a.RowStride, a.ColumnStride);

    /// <summary>The sub-block [r0, r0 + rows) × [c0, c0 + columns) of a read-only view.</summary>
    public static ReadOnlyMatrixSpan<T> Sub<T>(ReadOnlyMatrixSpan<T> a, int r0, int c0, int rows, int columns) =>
        rows == 0 || columns == 0
            ? new ReadOnlyMatrixSpan<T>(a.Data, 0, rows, columns, a.RowStride, a.ColumnStride)
            : new ReadOnlyMatrixSpan<T>(a.Data, a.Offset + r0 * a.RowStride + c0 * a.ColumnStride, rows, columns, a.RowStride, a.ColumnStride);

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

    // Dot, Axpy and Scale are the level-1 kernels of every unblocked loop here. They are written out (rather than
    // calling TensorPrimitives) so that AggressiveOptimization gives fully optimized vector code from the first call:
    // tiered JIT would otherwise run them unoptimized until a background recompilation, which on a loaded machine
    // can take longer than a whole factorization.

    /// <summary>a·b + c lane by lane, fused (one rounding) for float64 and float32; the casts fold away in the JIT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> FusedMultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double))
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    /// <summary>a·b + c lane by lane in 512-bit vectors, fused for float64 and float32 (the casts fold away in the JIT).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FusedMultiplyAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        return a * b + c;
    }

    /// <summary>x·y (y at least as long as x; its first |x| elements are used).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, INumber<T>
    {
        int n = x.Length, i = 0;
        y = y[..n];
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && n >= 2 * Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y);
            Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero;
            int k = 0;
            for (; k + 1 < xv.Length; k += 2)
            {
                s0 = FusedMultiplyAdd(xv[k], yv[k], s0);
                s1 = FusedMultiplyAdd(xv[k + 1], yv[k + 1], s1);
            }
            if (k < xv.Length) s0 = FusedMultiplyAdd(xv[k], yv[k], s0);
            sum = Vector.Sum(s0 + s1);
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < n; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary>y ← y + α·x (spans of the same length).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        int n = x.Length, i = 0;
        y = y[..n];
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y);
            var a = new Vector<T>(alpha);
            for (int k = 0; k < xv.Length; k++) yv[k] = FusedMultiplyAdd(xv[k], a, yv[k]);
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < n; i++) y[i] += alpha * x[i];
    }

    /// <summary>x ← α·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale<T>(T alpha, Span<T> x) where T : unmanaged, INumber<T>
    {
        int n = x.Length, i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var a = new Vector<T>(alpha);
            for (int k = 0; k < xv.Length; k++) xv[k] *= a;
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < n; i++) x[i] *= alpha;
    }

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

    /// <summary>Exchanges the contents of two spans of equal length with vector loads and stores (LU's whole-row swaps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwapVectorized<T>(Span<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        int n = x.Length, i = 0;
        y = y[..n];
        if (Vector.IsHardwareAccelerated && n >= Vector<T>.Count)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var yv = MemoryMarshal.Cast<T, Vector<T>>(y);
            for (int k = 0; k < xv.Length; k++) (xv[k], yv[k]) = (yv[k], xv[k]);
            i = xv.Length * Vector<T>.Count;
        }
        for (; i < n; i++) (x[i], y[i]) = (y[i], x[i]);
    }

    /// <summary>max |aᵢⱼ| (0 for an empty matrix).</summary>
    public static double MaxAbs(ReadOnlySpan<double> x) => x.Length == 0 ? 0 : Math.Abs(TensorPrimitives.MaxMagnitude(x));
}
