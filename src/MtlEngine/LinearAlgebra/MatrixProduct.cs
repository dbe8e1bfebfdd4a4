using System.Numerics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// C = α·op(A)·op(B) + β·C on matrix views (op(A) m×k, op(B) k×n, C m×n): the linear-algebra layer's matrix product
/// for the code above it (the estimators), so that they call no kernel directly. The kernels' packed, blocked GEMM
/// does the work; a parallelism left out means all cores (see <see cref="Parallelism"/>).
/// </summary>
public static class MatrixProduct
{
    /// <summary>C = α·op(A)·op(B) + β·C.</summary>
    /// <exception cref="ArgumentException">When the shapes do not agree.</exception>
    public static void Multiply<T>(T alpha, ReadOnlyMatrixSpan<T> a, MatrixOp opA, ReadOnlyMatrixSpan<T> b, MatrixOp opB, T beta, MatrixSpan<T> c,
        Parallelism? parallelism = null) where T : unmanaged, INumber<T> =>
        Gemm.Multiply(alpha, a, opA, b, opB, beta, c, parallelism ?? TensorParallelism.Current);
}
