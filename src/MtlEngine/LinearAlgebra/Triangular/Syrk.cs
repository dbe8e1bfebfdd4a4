using System.Numerics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// C = α·AᵀA + β·C on the lower triangle (A k×n, C n×n; pass <c>a.Transposed()</c>, a view, for A·Aᵀ): the
/// linear-algebra layer's symmetric rank-k update for the code above it (the estimators), so that they call no kernel
/// directly. The kernels' <see cref="Kernels.Gemm.Syrk"/> does the work (recursive halving on the GEMM, or row dot
/// products for a small C of a long k); a parallelism left out means <see cref="TensorParallelism.Current"/>.
/// </summary>
public static class Syrk
{
    /// <summary>C = α·AᵀA + β·C on the lower triangle; <paramref name="other"/> says what becomes of the strict upper one.</summary>
    /// <exception cref="ArgumentException">When C is not n×n for A k×n.</exception>
    public static void Update<T>(T alpha, ReadOnlyMatrixSpan<T> a, T beta, MatrixSpan<T> c, OtherTriangle other, Parallelism? parallelism = null)
        where T : unmanaged, INumber<T> =>
        Kernels.Gemm.Syrk.Update(alpha, a, beta, c, Triangle.Lower, other, parallelism ?? TensorParallelism.Current);
}
