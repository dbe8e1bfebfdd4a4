using System.Numerics;
using System.Numerics.Tensors;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// Matrix-vector multiply: <c>y = α·op(A)·x + β·y</c> with op(A) m×k, x of length k and y of length m.
/// Memory-bound, so no packing: a row-major A is read as m dot products (threads take fixed row ranges),
/// a column-major A as k column updates (axpy). β = 0 ignores y's contents.
/// </summary>
public static class Gemv
{
    /// <summary>y = α·op(A)·x + β·y over contiguous vectors.</summary>
    /// <exception cref="ArgumentException">When the lengths do not match op(A).</exception>
    public static void Multiply<T>(T alpha, ReadOnlyMatrixSpan<T> a, MatrixOp opA, ReadOnlySpan<T> x, T beta, Span<T> y, Parallelism? parallelism = null)
        where T : unmanaged, INumber<T>
    {
        if (opA == MatrixOp.Transpose) a = a.Transposed();
        if (x.Length != a.Columns || y.Length != a.Rows)
            throw new ArgumentException($"GEMV shapes do not agree: op(A) is {a.Rows}×{a.Columns}, x has {x.Length} elements and y {y.Length}; need x of length {a.Columns} and y of length {a.Rows}.");
        int m = a.Rows, k = a.Columns;
        if (m == 0) return;
        if (k == 0 || alpha == T.Zero)
        {
            if (beta == T.Zero) y.Clear(); else TensorPrimitives.Multiply(y, beta, y);
            return;
        }
        if (a.ColumnStride == 1)
        {
            // Row-major: y_i = α·⟨A[i, :], x⟩ + β·y_i, rows split into fixed contiguous ranges.
            int threads = (int)Math.Clamp((long)m * k / ParallelThresholds.GemvMultiplyAddsPerThread, 1, (parallelism ?? Parallelism.Default).Degree);
            if (threads == 1) Rows(alpha, a, x, beta, y, 0, m);
            else RowsInParallel(alpha, a, x, beta, y, threads);
            return;
        }
        // Column-major or general strides: y = β·y, then y += (α·x_p)·A[:, p] for each column p.
        if (beta == T.Zero) y.Clear(); else if (beta != T.One) TensorPrimitives.Multiply(y, beta, y);
        for (int p = 0; p < k; p++)
        {
            T scale = alpha * x[p];
            if (a.RowStride == 1)
                TensorPrimitives.MultiplyAdd(a.Data.Slice(a.Offset + p * a.ColumnStride, m), scale, y, y);
            else
                for (int i = 0; i < m; i++) y[i] += scale * a[i, p];
        }
    }

    /// <summary>
    /// The row-major case split into <paramref name="threads"/> fixed contiguous row ranges. A method of its own so that
    /// the lambda's captured state is allocated only on this path, not on every single-threaded call.
    /// </summary>
    private static unsafe void RowsInParallel<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlySpan<T> x, T beta, Span<T> y, int threads)
        where T : unmanaged, INumber<T>
    {
        int m = a.Rows, k = a.Columns;
        fixed (T* pa = a.Data) fixed (T* px = x) fixed (T* py = y)
        {
            T* aBase = pa, xBase = px, yBase = py;
            int length = a.Data.Length, offset = a.Offset, rowStride = a.RowStride, yLength = y.Length;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var view = new ReadOnlyMatrixSpan<T>(new ReadOnlySpan<T>(aBase, length), offset, m, k, rowStride, 1);
                Rows(alpha, view, new ReadOnlySpan<T>(xBase, k), beta, new Span<T>(yBase, yLength), (int)((long)m * t / threads), (int)((long)m * (t + 1) / threads));
            });
        }
    }

    private static void Rows<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlySpan<T> x, T beta, Span<T> y, int first, int last) where T : unmanaged, INumber<T>
    {
        int k = a.Columns;
        for (int i = first; i < last; i++)
        {
            T dot = TensorPrimitives.Dot(a.Data.Slice(a.Offset + i * a.RowStride, k), x);
            y[i] = beta == T.Zero ? alpha * dot : alpha * dot + beta * y[i];
        }
    }

    /// <summary>The textbook twin: y_i = α·Σ_p op(A)[i, p]·x_p + β·y_i.</summary>
    public static void MultiplyReference<T>(T alpha, ReadOnlyMatrixSpan<T> a, MatrixOp opA, ReadOnlySpan<T> x, T beta, Span<T> y) where T : INumber<T>
    {
        if (opA == MatrixOp.Transpose) a = a.Transposed();
        if (x.Length != a.Columns || y.Length != a.Rows)
            throw new ArgumentException($"GEMV shapes do not agree: op(A) is {a.Rows}×{a.Columns}, x has {x.Length} elements and y {y.Length}.");
        for (int i = 0; i < a.Rows; i++)
        {
            T sum = T.Zero;
            for (int p = 0; p < a.Columns; p++) sum += a[i, p] * x[p];
            y[i] = beta == T.Zero ? alpha * sum : alpha * sum + beta * y[i];
        }
    }
}
