using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The symmetric rank-k update of a lower triangle, C ← β·C + α·A·Aᵀ (SYRK, lower), by recursive halving of C:
/// <code>
/// C₁₁ ← β·C₁₁ + α·A₁·A₁ᵀ     (recursively)
/// C₂₁ ← β·C₂₁ + α·A₂·A₁ᵀ     (GEMM)
/// C₂₂ ← β·C₂₂ + α·A₂·A₂ᵀ     (recursively)
/// </code>
/// Diagonal blocks of at most <see cref="Leaf"/> rows are one full GEMM, so their strict upper triangle is
/// overwritten too (the Cholesky that calls this keeps garbage there); the flops beyond the lower triangle are
/// n·Leaf/2·k instead of the half of a full product.
/// </summary>
internal static class Syrk
{
    /// <summary>The order of the diagonal blocks computed whole (96 measured best among 48–128 in the n = 1024 Cholesky).</summary>
    public const int Leaf = 96;

    public static void Lower<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, Parallelism parallelism) where T : unmanaged, IFloatingPointIeee754<T>
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
        Lower(alpha, a1, beta, Dense.Sub(c, 0, 0, n1, n1), parallelism);
        Gemm.Multiply(alpha, a2, a1.Transposed(), beta, Dense.Sub(c, n1, 0, n2, n1), parallelism);
        Lower(alpha, a2, beta, Dense.Sub(c, n1, n1, n2, n2), parallelism);
    }
}
