using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The symmetric rank-k update of a lower triangle, C ← β·C + α·A·Aᵀ (SYRK, lower), as GEMMs over column panels:
/// panel j computes C[j0.., j0..j1] = β·C + α·A[j0..]·A[j0..j1]ᵀ, so only the lower triangle (and the upper half of
/// each diagonal block) is computed: about half the flops of one full GEMM.
/// </summary>
internal static class Syrk
{
    public const int PanelWidth = 256;

    public static void Lower(double alpha, ReadOnlyMatrixSpan<double> a, double beta, MatrixSpan<double> c, Parallelism parallelism)
    {
        int n = c.Rows, k = a.Columns;
        for (int j0 = 0; j0 < n; j0 += PanelWidth)
        {
            int jb = Math.Min(PanelWidth, n - j0);
            Gemm.Multiply(alpha, Dense.Sub(a, j0, 0, n - j0, k), Dense.Sub(a, j0, 0, jb, k).Transposed(), beta,
                Dense.Sub(c, j0, j0, n - j0, jb), parallelism);
        }
    }
}
