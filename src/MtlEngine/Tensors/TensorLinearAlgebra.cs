using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tensors;

/// <summary>
/// The tensor overloads of the float64 linear-algebra classes, one layer up from them: linear algebra works on
/// <see cref="DenseMatrix"/> and spans and knows no tensor; these extension members convert a rank-2 tensor with
/// <c>DenseMatrix.FromTensor</c> and back with <c>matrix.ToTensor()</c>, so
/// <c>Cholesky.Factor(tensor)</c>, <c>svd = Svd.Compute(tensor)</c> and <c>DenseMatrix.FromTensor(tensor)</c> read as
/// members of the classes they extend (with <c>using MtlEngine.Tensors;</c>). The dtype-keeping facade is <see cref="Linalg"/>.
/// </summary>
public static class TensorLinearAlgebra
{
    extension(DenseMatrix)
    {
        /// <summary>Copies a rank-2 float64 tensor of shape (rows, columns) (any strides).</summary>
        /// <exception cref="MatrixShapeException">When the tensor is not of rank 2.</exception>
        public static DenseMatrix FromTensor(MtlTensor<double> tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            if (tensor.Rank != 2)
                throw new MatrixShapeException($"Linear algebra needs a matrix, a tensor of rank 2, but got shape {MtlTensor<double>.ShapeText(tensor.Shape)}; reshape it to (rows, columns).");
            var contiguous = tensor.Contiguous();
            return new DenseMatrix(tensor.Dim(0), tensor.Dim(1), contiguous.AsSpan().ToArray());
        }

        /// <summary>
        /// Copies a rank-2 float32 tensor of shape (rows, columns) and widens it to float64 (the factorization classes compute
        /// in float64; <see cref="Linalg"/> factors and solves in float32 without widening).
        /// </summary>
        /// <exception cref="MatrixShapeException">When the tensor is not of rank 2.</exception>
        public static DenseMatrix FromTensor(MtlTensor<float> tensor)
        {
            ArgumentNullException.ThrowIfNull(tensor);
            if (tensor.Rank != 2)
                throw new MatrixShapeException($"Linear algebra needs a matrix, a tensor of rank 2, but got shape {MtlTensor<float>.ShapeText(tensor.Shape)}; reshape it to (rows, columns).");
            var source = tensor.Contiguous().AsSpan();
            var m = new DenseMatrix(tensor.Dim(0), tensor.Dim(1));
            for (int i = 0; i < source.Length; i++) m.Data[i] = source[i];
            return m;
        }
    }

    /// <param name="matrix">The matrix to copy.</param>
    extension(DenseMatrix matrix)
    {
        /// <summary>A copy as a rank-2 float64 tensor of shape (rows, columns).</summary>
        public MtlTensor<double> ToTensor() => MtlTensor.FromArray((double[])matrix.Data.Clone(), matrix.Rows, matrix.Columns);
    }

    extension(Cholesky)
    {
        /// <summary>Factors a symmetric positive definite float64 tensor of shape (n, n) (its lower triangle is read; the input is not changed).</summary>
        /// <param name="a">The n×n matrix.</param>
        /// <param name="parallelism">Threads for the GEMM updates (and for later solves with this factorization).</param>
        /// <exception cref="MatrixShapeException">When A is not square.</exception>
        /// <exception cref="NotPositiveDefiniteException">When a pivot is not positive (carries its index).</exception>
        public static Cholesky Factor(MtlTensor<double> a, Parallelism? parallelism = null) => Cholesky.Factor(DenseMatrix.FromTensor(a), parallelism);
    }

    /// <param name="cholesky">The factorization of A.</param>
    extension(Cholesky cholesky)
    {
        /// <summary>Solves A·X = B for a float64 tensor of shape (n, r).</summary>
        public MtlTensor<double> Solve(MtlTensor<double> b) => cholesky.Solve(DenseMatrix.FromTensor(b)).ToTensor();
    }

    extension(SymmetricEigen)
    {
        /// <summary>Eigenpairs of a float64 tensor of shape (n, n).</summary>
        public static SymmetricEigen Compute(MtlTensor<double> a, bool computeVectors = true, Parallelism? parallelism = null) =>
            SymmetricEigen.Compute(DenseMatrix.FromTensor(a), computeVectors, parallelism);
    }

    extension(Svd)
    {
        /// <summary>The thin SVD of a float64 tensor of shape (m, n).</summary>
        public static Svd Compute(MtlTensor<double> a, Parallelism? parallelism = null) => Svd.Compute(DenseMatrix.FromTensor(a), parallelism);
    }

    extension(RandomizedSvd)
    {
        /// <summary>The randomized SVD of a float64 tensor of shape (m, n).</summary>
        public static Svd Compute(MtlTensor<double> a, int rank, int oversampling = 10, int powerIterations = 4, ulong seed = 0, Parallelism? parallelism = null) =>
            RandomizedSvd.Compute(DenseMatrix.FromTensor(a), rank, oversampling, powerIterations, seed, parallelism);
    }
}

/// <summary>
/// The tensor overloads of <see cref="LinearAlgebra.Lu"/> (a class of its own because each static extension compiles to a
/// method of its container, and the factorizations' <c>Factor(MtlTensor&lt;double&gt;, Parallelism?)</c> would collide);
/// see <see cref="TensorLinearAlgebra"/>.
/// </summary>
public static class TensorLu
{
    extension(Lu)
    {
        /// <summary>Factors a float64 tensor of shape (n, n) (the input is not changed).</summary>
        /// <exception cref="MatrixShapeException">When A is not square.</exception>
        public static Lu Factor(MtlTensor<double> a, Parallelism? parallelism = null) => Lu.Factor(DenseMatrix.FromTensor(a), parallelism);
    }

    /// <param name="lu">The factorization of A.</param>
    extension(Lu lu)
    {
        /// <summary>Solves A·X = B for a float64 tensor of shape (n, r).</summary>
        public MtlTensor<double> Solve(MtlTensor<double> b) => lu.Solve(DenseMatrix.FromTensor(b)).ToTensor();
    }
}

/// <summary>
/// The tensor overloads of <see cref="LinearAlgebra.Qr"/> (a class of its own because each static extension compiles to a
/// method of its container, and the factorizations' <c>Factor(MtlTensor&lt;double&gt;, Parallelism?)</c> would collide);
/// see <see cref="TensorLinearAlgebra"/>.
/// </summary>
public static class TensorQr
{
    extension(Qr)
    {
        /// <summary>Factors a float64 tensor of shape (m, n).</summary>
        public static Qr Factor(MtlTensor<double> a, Parallelism? parallelism = null) => Qr.Factor(DenseMatrix.FromTensor(a), parallelism);
    }
}

/// <summary>
/// The tensor overloads of <see cref="PivotedQr"/> (a class of its own because each static extension compiles to a
/// method of its container, and the factorizations' <c>Factor(MtlTensor&lt;double&gt;, Parallelism?)</c> would collide);
/// see <see cref="TensorLinearAlgebra"/>.
/// </summary>
public static class TensorPivotedQr
{
    extension(PivotedQr)
    {
        /// <summary>Factors a float64 tensor of shape (m, n).</summary>
        public static PivotedQr Factor(MtlTensor<double> a, Parallelism? parallelism = null) => PivotedQr.Factor(DenseMatrix.FromTensor(a), parallelism);
    }
}
