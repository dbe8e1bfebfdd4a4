using System.Numerics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The textbook Cholesky–Banachiewicz algorithm, row by row with scalar loops:
/// lᵢⱼ = (aᵢⱼ − Σ_{p&lt;j} lᵢₚ·lⱼₚ) / lⱼⱼ for j &lt; i, and lᵢᵢ = √(aᵢᵢ − Σ_{p&lt;i} lᵢₚ²).
/// The twin of <see cref="Cholesky"/> (float64) and of <see cref="Tensors.Linalg.Cholesky{T}"/> (float32 and float64).
/// </summary>
public static class CholeskyTextbook
{
    /// <summary>Returns L with A = L·Lᵀ (A's lower triangle is read).</summary>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive.</exception>
    public static DenseMatrix Factor(DenseMatrix a)
    {
        MatrixShapeException.ThrowIfNotSquare(a, "Cholesky");
        var l = new DenseMatrix(a.Rows, a.Rows);
        Factor(a.ReadOnlySpan, l.Span);
        return l;
    }

    /// <summary>
    /// Writes L with A = L·Lᵀ into <paramref name="l"/> (n×n, zeros above the diagonal are not written: pass a zeroed
    /// view), in float32 or float64. A's lower triangle is read.
    /// </summary>
    /// <exception cref="MatrixShapeException">When A is not square or L has another shape.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static void Factor<T>(ReadOnlyMatrixSpan<T> a, MatrixSpan<T> l) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = a.Rows;
        if (a.Columns != n || l.Rows != n || l.Columns != n)
            throw new MatrixShapeException($"Cholesky needs a square matrix and a factor of the same shape, but got ({a.Rows}, {a.Columns}) and ({l.Rows}, {l.Columns}).");
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                T s = a[i, j];
                for (int p = 0; p < j; p++) s -= l[i, p] * l[j, p];
                l[i, j] = s / l[j, j];
            }
            T d = a[i, i];
            for (int p = 0; p < i; p++) d -= l[i, p] * l[i, p];
            if (!(d > T.Zero)) throw new NotPositiveDefiniteException(i, double.CreateChecked(d));
            l[i, i] = T.Sqrt(d);
        }
    }
}
