using System.Numerics;
using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The textbook GEMM, the oracle every fast path is tested against:
/// <code>C[i, j] = α·Σ_p A[i, p]·B[p, j] + β·C[i, j]</code>
/// β = 0 means C is only written (whatever it held, NaN included); α = 0 means A·B is not evaluated.
/// </summary>
public static class GemmReference
{
    /// <summary>C = α·A·B + β·C by three nested loops (A: m×k, B: k×n, C: m×n).</summary>
    public static void Multiply<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, T beta, MatrixSpan<T> c)
        where T : INumber<T>
    {
        GemmChecks.CheckShapes(a.Rows, a.Columns, b.Rows, b.Columns, c.Rows, c.Columns);
        for (int i = 0; i < c.Rows; i++)
            for (int j = 0; j < c.Columns; j++)
            {
                T sum = T.Zero;
                if (alpha != T.Zero)
                    for (int p = 0; p < a.Columns; p++) sum += a[i, p] * b[p, j];
                T scaled = alpha == T.Zero ? T.Zero : alpha * sum;
                c[i, j] = beta == T.Zero ? scaled : scaled + beta * c[i, j];
            }
    }
}

internal static class GemmChecks
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CheckShapes(int aRows, int aColumns, int bRows, int bColumns, int cRows, int cColumns)
    {
        if (aColumns != bRows || aRows != cRows || bColumns != cColumns)
            throw new ArgumentException(
                $"GEMM shapes do not agree: op(A) is {aRows}×{aColumns}, op(B) is {bRows}×{bColumns}, C is {cRows}×{cColumns}; " +
                "need op(A) m×k, op(B) k×n and C m×n (transpose an operand or fix its view).");
    }
}
