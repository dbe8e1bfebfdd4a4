using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The symmetric rank-k update of a lower triangle, C ← β·C + α·AᵀA with A k×n and C n×n (SYRK, lower), in the
/// engine's one SYRK convention (the kernels' <see cref="Kernels.Gemm.Syrk"/> is AᵀA too; pass <c>a.Transposed()</c>,
/// a view, for A·Aᵀ). With B = Aᵀ (n×k), by recursive halving of C:
/// <code>
/// C₁₁ ← β·C₁₁ + α·B₁·B₁ᵀ     (recursively)
/// C₂₁ ← β·C₂₁ + α·B₂·B₁ᵀ     (GEMM)
/// C₂₂ ← β·C₂₂ + α·B₂·B₂ᵀ     (recursively)
/// </code>
/// Diagonal blocks of at most <see cref="Leaf"/> rows are one full GEMM, so their strict upper triangle is
/// overwritten too (the Cholesky that calls this keeps garbage there); the flops beyond the lower triangle are
/// n·Leaf/2·k instead of the half of a full product.
/// </summary>
public static class Syrk
{
    /// <summary>The order of the diagonal blocks computed whole (96 measured best among 48–128 in the n = 1024 Cholesky).</summary>
    public const int Leaf = 96;

    /// <summary>C ← β·C + α·AᵀA on the lower triangle (A k×n, C n×n; see the class).</summary>
    /// <remarks>The strict upper triangle of the diagonal blocks (at most <see cref="Leaf"/> wide) is overwritten with scratch.</remarks>
    public static void Lower<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        LowerOfRows(alpha, a.Transposed(), beta, c, parallelism ?? TensorParallelism.Current);

    /// <summary>
    /// C = α·AᵀA + β·C on the lower triangle (A k×n, C n×n) by the kernels' blocked SYRK: the strict upper triangle is left
    /// untouched, or with <paramref name="mirror"/> becomes the transpose of the lower one, so that C is exactly symmetric.
    /// </summary>
    public static void Update<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, bool mirror, Parallelism? parallelism = null)
        where T : unmanaged, INumber<T> =>
        Kernels.Gemm.Syrk.Update(alpha, a, beta, c, Triangle.Lower, mirror, parallelism ?? TensorParallelism.Current);

    /// <summary>C ← β·C + α·B·Bᵀ on the lower triangle, B = Aᵀ (n×k): the recursion.</summary>
    private static void LowerOfRows<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Parallelism parallelism) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = c.Rows, k = a.Columns;
        if (n <= Leaf)
        {
            Gemm.Multiply(alpha, a, a.Transposed(), beta, c, parallelism);
            return;
        }
        int n1 = n / 2 >= 16 ? n / 2 / 8 * 8 : n / 2, n2 = n - n1;
        var a1 = Dense.Sub(a, 0, 0, n1, k);
        var a2 = Dense.Sub(a, n1, 0, n2, k);
        LowerOfRows(alpha, a1, beta, Dense.Sub(c, 0, 0, n1, n1), parallelism);
        Gemm.Multiply(alpha, a2, a1.Transposed(), beta, Dense.Sub(c, n1, 0, n2, n1), parallelism);
        LowerOfRows(alpha, a2, beta, Dense.Sub(c, n1, n1, n2, n2), parallelism);
    }
}
