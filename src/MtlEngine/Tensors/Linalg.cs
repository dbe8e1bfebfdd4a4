using System.Buffers;
using System.Numerics;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tensors;

/// <summary>
/// Dense linear algebra on tensors that keeps the element type, like <c>torch.linalg</c> and <c>numpy.linalg</c>:
/// a float32 tensor in gives a float32 tensor out, computed in float32 (the same blocked Cholesky, LU and triangular
/// solves as the float64 <see cref="LinearAlgebra.Cholesky"/> and <see cref="Lu"/>, one generic implementation, with the
/// float32 GEMM doing most of the flops); a float64 tensor gives float64.
/// <para>
/// float32 trades accuracy for speed: errors grow like κ(A)·1e-7 (κ the condition number) instead of κ(A)·1e-16, so
/// use it for well-conditioned systems (a ridge-regularized Gram matrix, a covariance with a jitter on the diagonal)
/// and float64 otherwise. The eigen, SVD and QR decompositions stay float64 (<see cref="SymmetricEigen"/>,
/// <see cref="Svd"/>, <see cref="Qr"/>; a float32 tensor is widened by <c>DenseMatrix.FromTensor</c>).
/// </para>
/// Inputs are read, never changed: the solves read a contiguous matrix where it lies, and LU copies it once into a
/// pooled work array (<see cref="ArrayPool{T}.Shared"/>, which keeps large arrays mapped between calls). The results are
/// new leaf tensors on the CPU: these functions record no gradient.
/// </summary>
public static class Linalg
{
    /// <summary>
    /// The Cholesky factor L of a symmetric positive definite matrix, A = L·Lᵀ (only A's lower triangle is read).
    /// </summary>
    /// <param name="a">A tensor of shape (n, n) on the CPU.</param>
    /// <param name="parallelism">Threads for the factorization (L does not depend on the count).</param>
    /// <returns>L, of shape (n, n) and the element type of <paramref name="a"/>, with zeros above the diagonal.</returns>
    /// <exception cref="MatrixShapeException">When A is not of shape (n, n).</exception>
    /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive (carries its index).</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static MtlTensor<T> Cholesky<T>(MtlTensor<T> a, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var source = Square(a, "Cholesky", out int n);
        var l = source.ToArray();
        var view = new MatrixSpan<T>(l, n, n);
        LinearAlgebra.Cholesky.FactorInPlace(view, parallelism ?? TensorParallelism.Current, LinearAlgebra.Cholesky.DefaultBlockSize);
        for (int i = 0; i < n; i++) l.AsSpan(i * n + i + 1, n - i - 1).Clear();
        return MtlTensor.FromArray(l, n, n);
    }

    /// <summary>Solves A·X = B given the Cholesky factor L of A (A = L·Lᵀ): L·Y = B, then Lᵀ·X = Y.</summary>
    /// <param name="l">The lower-triangular factor, of shape (n, n) (only its lower triangle is read), as <see cref="Cholesky{T}"/> returns it.</param>
    /// <param name="b">The right-hand side, of shape (n) or (n, r).</param>
    /// <param name="parallelism">Threads for the solves.</param>
    /// <returns>X, of the shape of <paramref name="b"/>.</returns>
    /// <exception cref="MatrixShapeException">When L is not square or B does not have n rows.</exception>
    /// <exception cref="SingularMatrixException">When a diagonal entry of L is zero.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static MtlTensor<T> CholeskySolve<T>(MtlTensor<T> l, MtlTensor<T> b, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var factor = Square(l, "Cholesky solve", out int n);
        var x = RightHandSide(b, n, "Cholesky solve", out int columns).ToArray();
        var lv = new ReadOnlyMatrixSpan<T>(factor, n, n);
        var xv = new MatrixSpan<T>(x, n, columns);
        TriangularSolve.Lower(lv, xv, unitDiagonal: false, parallelism);
        TriangularSolve.Upper(lv.Transposed(), xv, unitDiagonal: false, parallelism);
        return MtlTensor.FromArray(x, b.Shape.ToArray());
    }

    /// <summary>Solves A·X = B for a triangular A by forward (lower) or backward (upper) substitution, blocked on the GEMM.</summary>
    /// <param name="a">The triangular matrix, of shape (n, n); only the triangle named by <paramref name="lower"/> is read.</param>
    /// <param name="b">The right-hand side, of shape (n) or (n, r).</param>
    /// <param name="lower">True for a lower-triangular A, false for an upper-triangular one.</param>
    /// <param name="unitDiagonal">True when A has an implicit unit diagonal (its stored diagonal is not read).</param>
    /// <param name="parallelism">Threads for the GEMM updates.</param>
    /// <returns>X, of the shape of <paramref name="b"/>.</returns>
    /// <exception cref="MatrixShapeException">When A is not square or B does not have n rows.</exception>
    /// <exception cref="SingularMatrixException">When a diagonal entry of A is zero (and <paramref name="unitDiagonal"/> is false).</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static MtlTensor<T> SolveTriangular<T>(MtlTensor<T> a, MtlTensor<T> b, bool lower, bool unitDiagonal = false, Parallelism? parallelism = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = Square(a, "Triangular solve", out int n);
        var x = RightHandSide(b, n, "Triangular solve", out int columns).ToArray();
        var tv = new ReadOnlyMatrixSpan<T>(t, n, n);
        var xv = new MatrixSpan<T>(x, n, columns);
        if (lower) TriangularSolve.Lower(tv, xv, unitDiagonal, parallelism);
        else TriangularSolve.Upper(tv, xv, unitDiagonal, parallelism);
        return MtlTensor.FromArray(x, b.Shape.ToArray());
    }

    /// <summary>
    /// Solves A·X = B for a square A by LU with partial pivoting, P·A = L·U, then X = U⁻¹·L⁻¹·P·B (as <see cref="Lu"/>).
    /// </summary>
    /// <param name="a">The matrix, of shape (n, n).</param>
    /// <param name="b">The right-hand side, of shape (n) or (n, r).</param>
    /// <param name="parallelism">Threads for the factorization and the solves.</param>
    /// <returns>X, of the shape of <paramref name="b"/>.</returns>
    /// <exception cref="MatrixShapeException">When A is not square or B does not have n rows.</exception>
    /// <exception cref="SingularMatrixException">When a pivot is exactly zero (carries its index).</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static MtlTensor<T> Solve<T>(MtlTensor<T> a, MtlTensor<T> b, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var source = Square(a, "Solve", out int n);
        var rhs = RightHandSide(b, n, "Solve", out int columns);
        var f = ArrayPool<T>.Shared.Rent(n * n);
        try
        {
            source.CopyTo(f);
            var perm = FactorLu(f, n, parallelism ?? TensorParallelism.Current, out _, out int zero);
            if (zero >= 0) throw new SingularMatrixException(zero, "LU");
            // P·B: row i of the permuted right-hand side is row perm[i] of B.
            var x = new T[rhs.Length];
            for (int i = 0; i < n; i++) rhs.Slice(perm[i] * columns, columns).CopyTo(x.AsSpan(i * columns, columns));
            var fv = new ReadOnlyMatrixSpan<T>(f, n, n);
            var xv = new MatrixSpan<T>(x, n, columns);
            TriangularSolve.Lower(fv, xv, unitDiagonal: true, parallelism);
            TriangularSolve.Upper(fv, xv, unitDiagonal: false, parallelism);
            return MtlTensor.FromArray(x, b.Shape.ToArray());
        }
        finally
        {
            ArrayPool<T>.Shared.Return(f);
        }
    }

    /// <summary>
    /// The sign and the logarithm of the absolute value of det A, from LU with partial pivoting (as <c>numpy.linalg.slogdet</c>):
    /// det A = Sign·exp(LogAbsDeterminant), with log |det A| = Σ log |uᵢᵢ| summed in float64 (no overflow for large n).
    /// A singular matrix gives (0, −∞).
    /// </summary>
    /// <param name="a">The matrix, of shape (n, n).</param>
    /// <param name="parallelism">Threads for the factorization.</param>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static (T Sign, T LogAbsDeterminant) SignedLogDeterminant<T>(MtlTensor<T> a, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var f = FactorLu(a, parallelism ?? TensorParallelism.Current, out int n, out int swaps, out int zero);
        try
        {
            if (zero >= 0) return (T.Zero, T.NegativeInfinity);
            int sign = swaps % 2 == 0 ? 1 : -1;
            double log = 0;
            for (int i = 0; i < n; i++)
            {
                T u = f[i * n + i];
                if (u < T.Zero) sign = -sign;
                log += Math.Log(Math.Abs(double.CreateChecked(u)));
            }
            return (T.CreateChecked(sign), T.CreateChecked(log));
        }
        finally
        {
            ArrayPool<T>.Shared.Return(f);
        }
    }

    /// <summary>
    /// det A = (−1)^swaps·Π uᵢᵢ from LU with partial pivoting (0 for a singular matrix). The product overflows for large
    /// n, in float32 sooner (beyond about 1e38): prefer <see cref="SignedLogDeterminant{T}"/>.
    /// </summary>
    /// <param name="a">The matrix, of shape (n, n).</param>
    /// <param name="parallelism">Threads for the factorization.</param>
    /// <exception cref="MatrixShapeException">When A is not square.</exception>
    /// <typeparam name="T">The element type: <see cref="float"/> or <see cref="double"/> (the computation runs in it).</typeparam>
    public static T Determinant<T>(MtlTensor<T> a, Parallelism? parallelism = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var f = FactorLu(a, parallelism ?? TensorParallelism.Current, out int n, out int swaps, out int zero);
        try
        {
            if (zero >= 0) return T.Zero;
            T d = swaps % 2 == 0 ? T.One : -T.One;
            for (int i = 0; i < n; i++) d *= f[i * n + i];
            return d;
        }
        finally
        {
            ArrayPool<T>.Shared.Return(f);
        }
    }

    /// <summary>LU of A in a pooled work array (the caller returns it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    private static T[] FactorLu<T>(MtlTensor<T> a, Parallelism parallelism, out int n, out int swaps, out int zero) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var source = Square(a, "Determinant", out n);
        var f = ArrayPool<T>.Shared.Rent(n * n);
        source.CopyTo(f);
        FactorLu(f, n, parallelism, out swaps, out zero);
        return f;
    }

    /// <summary>LU in place on the first n×n elements of the work array; returns the permutation.</summary>
    private static int[] FactorLu<T>(T[] f, int n, Parallelism parallelism, out int swaps, out int zero) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        swaps = 0;
        zero = -1;
        Lu.FactorInPlace(new MatrixSpan<T>(f, n, n), perm, Lu.DefaultBlockSize, parallelism, ref swaps, ref zero);
        return perm;
    }

    /// <summary>The row-major elements of a square matrix tensor (itself when contiguous, else a contiguous copy), and its order.</summary>
    private static ReadOnlySpan<T> Square<T>(MtlTensor<T> a, string operation, out int order) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Rank != 2 || a.Dim(0) != a.Dim(1))
            throw new MatrixShapeException($"{operation} needs a square matrix, a tensor of shape (n, n), but got shape {MtlTensor<T>.ShapeText(a.Shape)}"
                + (a.Rank == 2 ? "." : $" (rank {a.Rank}); reshape it to (n, n)."));
        order = a.Dim(0);
        return a.Contiguous().AsSpan();
    }

    /// <summary>The row-major elements of a right-hand side of shape (n) or (n, r), and its column count r (1 for a vector).</summary>
    private static ReadOnlySpan<T> RightHandSide<T>(MtlTensor<T> b, int n, string operation, out int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rank is not (1 or 2) || b.Dim(0) != n)
            throw new MatrixShapeException($"{operation}: the matrix has shape ({n}, {n}) but the right-hand side has shape {MtlTensor<T>.ShapeText(b.Shape)}; "
                + $"it needs shape ({n}) or ({n}, r).");
        columns = b.Rank == 1 ? 1 : b.Dim(1);
        return b.Contiguous().AsSpan();
    }
}
