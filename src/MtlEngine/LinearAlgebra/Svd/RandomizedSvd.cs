using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The randomized truncated SVD of Halko, Martinsson and Tropp (2011, Algorithms 4.4 and 5.1), seeded and reproducible:
/// <code>
/// Ω ~ N(0, 1) of shape (n, k + p)                 p = oversampling
/// Q = orth(A·Ω)
/// repeat q times:  Q = orth(A·orth(Aᵀ·Q))          power iterations, re-orthonormalized by QR each half step
/// B = Qᵀ·A                                       shape (k + p, n)
/// B = Û·Σ·Vᵀ  (exact thin SVD),  U = Q·Û,  keep the first k triplets
/// </code>
/// The error is within a small factor of σ_{k+1} (it shrinks like (σ_{k+p+1}/σ_k)^(2q+1)). The Gaussian test matrix
/// comes from <see cref="TensorRandom"/>, so a seed gives the same result on every machine and thread count.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>The <paramref name="rank"/> leading singular triplets of A (shape (m, n)), as an <see cref="Svd"/> with k = rank.</summary>
    /// <param name="a">The matrix.</param>
    /// <param name="rank">How many triplets (k), 0 ≤ k ≤ min(m, n).</param>
    /// <param name="oversampling">Extra random directions p (default 10, as scikit-learn).</param>
    /// <param name="powerIterations">Power iterations q (default 4; more for slowly decaying spectra).</param>
    /// <param name="seed">The seed of the Gaussian test matrix.</param>
    /// <param name="parallelism">Threads for the GEMMs, QRs and the small SVD.</param>
    /// <exception cref="ArgumentOutOfRangeException">When rank, oversampling or powerIterations is out of range.</exception>
    public static Svd Compute(DenseMatrix a, int rank, int oversampling = 10, int powerIterations = 4, ulong seed = 0, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        int m = a.Rows, n = a.Columns;
        if (rank < 0 || rank > Math.Min(m, n))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be between 0 and min(m, n) = {Math.Min(m, n)} for a matrix of shape {a.ShapeText}.");
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
        int l = Math.Min(rank + oversampling, Math.Min(m, n));
        if (rank == 0) return new Svd(new DenseMatrix(m, 0), [], new DenseMatrix(n, 0), 0);

        var omega = DenseMatrix.FromTensor(new TensorRandom(seed, 0, parallelism).Normal<double>([n, l], 0.0, 1.0));
        // The m×l and n×l blocks live on pooled arrays reused from half step to half step; each product is factored in
        // place (it is scratch) and its thin Q written into the other block.
        using var y = new PooledMatrix(m, l, clear: false);
        using var q = new PooledMatrix(m, l, clear: false);
        using var w = new PooledMatrix(n, l, clear: false);
        using var z = new PooledMatrix(n, l, clear: false);
        Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.None, omega.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, parallelism);
        Orthonormalize(y, q, parallelism ?? TensorParallelism.Current);
        for (int it = 0; it < powerIterations; it++)
        {
            Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.Transpose, q.ReadOnlySpan, MatrixOp.None, 0.0, w.Span, parallelism);
            Orthonormalize(w, z, parallelism ?? TensorParallelism.Current);
            Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.None, z.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, parallelism);
            Orthonormalize(y, q, parallelism ?? TensorParallelism.Current);
        }
        var b = new DenseMatrix(l, n);
        Gemm.Multiply(1.0, q.ReadOnlySpan, MatrixOp.Transpose, a.ReadOnlySpan, MatrixOp.None, 0.0, b.Span, parallelism);   // (l, n)
        var small = Svd.Compute(b, parallelism);                                               // Û (l×l), Σ, V (n×l)
        var u = new DenseMatrix(m, rank);
        Gemm.Multiply(1.0, q.ReadOnlySpan, MatrixOp.None, small.U.SliceColumns(0, rank).ReadOnlySpan, MatrixOp.None, 0.0, u.Span, parallelism);
        var v = small.V.SliceColumns(0, rank);
        SignConvention.Apply(u, v);
        return new Svd(u, small.SingularValues[..rank], v, small.Sweeps);
    }

    /// <summary>The randomized SVD of a float64 tensor of shape (m, n).</summary>
    public static Svd Compute(MtlTensor<double> a, int rank, int oversampling = 10, int powerIterations = 4, ulong seed = 0, Parallelism? parallelism = null) =>
        Compute(DenseMatrix.FromTensor(a), rank, oversampling, powerIterations, seed, parallelism);

    /// <summary>The thin Q of Y = Q·R written into <paramref name="q"/> (Householder QR of Y in place: Y is overwritten).</summary>
    private static void Orthonormalize(PooledMatrix y, PooledMatrix q, Parallelism parallelism)
    {
        var tau = new double[Math.Min(y.Rows, y.Columns)];
        var blockT = Qr.FactorInPlace(y.Span, tau, parallelism);
        q.Elements.Clear();
        Qr.ThinQ(y.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, q.Span, parallelism);
    }
}
