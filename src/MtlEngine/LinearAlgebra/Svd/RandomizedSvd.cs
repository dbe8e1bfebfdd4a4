using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Sampling;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The randomized truncated SVD of Halko, Martinsson and Tropp (2011, Algorithms 4.4 and 5.1), seeded and reproducible,
/// as scikit-learn's <c>randomized_svd</c> (the one implementation: <see cref="Learn.Pca"/>'s randomized solver runs it):
/// <code>
/// Ω ~ N(0, 1) of shape (n, l),  l = k + p          p = oversampling (10, as scikit-learn)
/// Q = norm(A·Ω)
/// repeat q times:  Q = norm(A·norm(Aᵀ·Q))          power iterations, normalized each half step
/// Q = orth(Q)                                     orthonormal to working precision
/// B = Qᵀ·A                                       shape (l, n)
/// B = Û·Σ·Vᵀ  (exact thin SVD),  U = Q·Û,  keep the first k triplets
/// </code>
/// Between half steps only the range matters (scikit-learn normalizes there by an LU, not even orthonormal): norm is one
/// CholeskyQR step, Q = Y·L⁻ᵀ with L·Lᵀ = YᵀY — three small GEMMs and an l² Cholesky instead of a Householder QR whose
/// m-long panels run at level-2 speed. orth is CholeskyQR2 (Fukaya, Nakatsukasa, Yanagisawa and Yamamoto 2014: the step
/// twice), kept when QᵀQ is the identity to 1e-10. When Y is too ill-conditioned for the Cholesky (cond(Y) ≳ 1/√ε) either
/// falls back to Householder QR. The error is within a small factor of σ_{k+1} (it shrinks like (σ_{k+p+1}/σ_k)^(2q+1)).
/// The Gaussian test matrix comes from <see cref="PhiloxStream"/> (TensorRandom's normal draw), so a seed gives the same result on every machine and
/// thread count. The textbook twin, Householder QR at every half step, is <see cref="ComputeTextbook"/>.
/// </summary>
public static class RandomizedSvd
{
    /// <summary>The <paramref name="rank"/> leading singular triplets of A (shape (m, n)), as an <see cref="Svd"/> with k = rank.</summary>
    /// <param name="a">The matrix.</param>
    /// <param name="rank">How many triplets (k), 0 ≤ k ≤ min(m, n).</param>
    /// <param name="oversampling">Extra random directions p (default 10, as scikit-learn).</param>
    /// <param name="powerIterations">Power iterations q (default 4; more for slowly decaying spectra; scikit-learn's PCA takes 7 when k &lt; 0.1·min(m, n)).</param>
    /// <param name="seed">The seed of the Gaussian test matrix.</param>
    /// <param name="parallelism">Threads for the GEMMs, QRs and the small SVD.</param>
    /// <exception cref="ArgumentOutOfRangeException">When rank, oversampling or powerIterations is out of range.</exception>
    public static Svd Compute(DenseMatrix a, int rank, int oversampling = 10, int powerIterations = 4, ulong seed = 0, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        CheckArguments(a.Rows, a.Columns, a.ShapeText, rank, oversampling, powerIterations);
        var u = new DenseMatrix(a.Rows, rank);
        var v = new DenseMatrix(a.Columns, rank);
        if (rank == 0) return new Svd(u, [], v, 0);
        var (sigma, sweeps) = Compute(a.ReadOnlySpan, rank, oversampling, powerIterations, seed, u.Span, v.Span, parallelism ?? TensorParallelism.Current);
        SignConvention.Apply(u, v);
        return new Svd(u, sigma, v, sweeps);
    }

    /// <summary>
    /// The algorithm on a view, writing U (m × k) into <paramref name="u"/> and V (n × k) into <paramref name="v"/> (no sign
    /// convention applied) and returning σ and the small SVD's sweeps. The m × l and n × l blocks of the power iterations
    /// live on pooled arrays, reused from half step to half step (three m × l and two n × l), so repeated calls fault in no
    /// fresh memory for them. 1 ≤ k ≤ min(m, n).
    /// </summary>
    internal static (double[] Sigma, int Sweeps) Compute(ReadOnlyMatrixSpan<double> a, int k, int oversampling, int powerIterations, ulong seed,
        MatrixSpan<double> u, MatrixSpan<double> v, Parallelism parallelism)
    {
        int m = a.Rows, n = a.Columns;
        int l = Math.Min(k + oversampling, Math.Min(m, n));
        var omega = new DenseMatrix(n, l);
        new PhiloxStream(seed).Fill(0, omega.Data, new NormalDraw<double>(0.0, 1.0), parallelism);
        using var y = new PooledMatrix(m, l, clear: false);      // A·Z (or A·Ω)
        using var q = new PooledMatrix(m, l, clear: false);      // the current basis
        using var spare = new PooledMatrix(m, l, clear: false);  // CholeskyQR2's middle step, the Householder fallback's scratch
        using var w = new PooledMatrix(n, l, clear: false);      // Aᵀ·Q
        using var z = new PooledMatrix(n, l, clear: false);      // its basis
        Gemm.Multiply(1.0, a, MatrixOp.None, omega.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, parallelism);
        Normalize(y, q, spare, parallelism);
        for (int it = 0; it < powerIterations; it++)
        {
            Gemm.Multiply(1.0, a, MatrixOp.Transpose, q.ReadOnlySpan, MatrixOp.None, 0.0, w.Span, parallelism);
            Normalize(w, z, null, parallelism);
            Gemm.Multiply(1.0, a, MatrixOp.None, z.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, parallelism);
            Normalize(y, q, spare, parallelism);
        }
        var basis = y;   // orth(q), in y's array (y is free now)
        Orthonormalize(q, basis, spare, parallelism);
        return Finish(a, basis, k, u, v, parallelism);
    }

    /// <summary>
    /// The textbook twin of <see cref="Compute(DenseMatrix, int, int, int, ulong, Parallelism?)"/>: the same Ω and steps with
    /// a Householder QR (thin Q) at every half step. Slow on tall blocks; the tests hold the fast one against it.
    /// A parallelism left out (null) is <see cref="TensorParallelism.Current"/>, as in every signature (README: Threads).
    /// </summary>
    internal static Svd ComputeTextbook(DenseMatrix a, int rank, int oversampling = 10, int powerIterations = 4, ulong seed = 0, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        var threads = parallelism ?? TensorParallelism.Current;
        CheckArguments(a.Rows, a.Columns, a.ShapeText, rank, oversampling, powerIterations);
        int m = a.Rows, n = a.Columns;
        int l = Math.Min(rank + oversampling, Math.Min(m, n));
        if (rank == 0) return new Svd(new DenseMatrix(m, 0), [], new DenseMatrix(n, 0), 0);
        var omega = new DenseMatrix(n, l);
        new PhiloxStream(seed).Fill(0, omega.Data, new NormalDraw<double>(0.0, 1.0), threads);
        using var y = new PooledMatrix(m, l, clear: false);
        using var q = new PooledMatrix(m, l, clear: false);
        using var w = new PooledMatrix(n, l, clear: false);
        using var z = new PooledMatrix(n, l, clear: false);
        Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.None, omega.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, threads);
        HouseholderQ(y, q, threads);
        for (int it = 0; it < powerIterations; it++)
        {
            Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.Transpose, q.ReadOnlySpan, MatrixOp.None, 0.0, w.Span, threads);
            HouseholderQ(w, z, threads);
            Gemm.Multiply(1.0, a.ReadOnlySpan, MatrixOp.None, z.ReadOnlySpan, MatrixOp.None, 0.0, y.Span, threads);
            HouseholderQ(y, q, threads);
        }
        var u = new DenseMatrix(m, rank);
        var v = new DenseMatrix(n, rank);
        var (sigma, sweeps) = Finish(a.ReadOnlySpan, q, rank, u.Span, v.Span, threads);
        SignConvention.Apply(u, v);
        return new Svd(u, sigma, v, sweeps);
    }

    private static void CheckArguments(int m, int n, string shape, int rank, int oversampling, int powerIterations)
    {
        if (rank < 0 || rank > Math.Min(m, n))
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be between 0 and min(m, n) = {Math.Min(m, n)} for a matrix of shape {shape}.");
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
    }

    /// <summary>B = Qᵀ·A (l × n) = Û·Σ·Vᵀ exactly; U = Q·Ûₖ and Vₖ written out; returns σₖ and the sweeps.</summary>
    private static (double[] Sigma, int Sweeps) Finish(ReadOnlyMatrixSpan<double> a, PooledMatrix basis, int k, MatrixSpan<double> u, MatrixSpan<double> v, Parallelism parallelism)
    {
        int n = a.Columns;
        var b = new DenseMatrix(basis.Columns, n);
        Gemm.Multiply(1.0, basis.ReadOnlySpan, MatrixOp.Transpose, a, MatrixOp.None, 0.0, b.Span, parallelism);   // (l, n)
        var small = Svd.Compute(b, parallelism);                                                                   // Û (l×l), Σ, V (n×l)
        Gemm.Multiply(1.0, basis.ReadOnlySpan, MatrixOp.None, small.U.SliceColumns(0, k).ReadOnlySpan, MatrixOp.None, 0.0, u, parallelism);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) v[i, j] = small.V[i, j];
        return (small.SingularValues[..k], small.Sweeps);
    }

    /// <summary>
    /// A basis of range(Y) for a power iteration's half step, written into <paramref name="result"/>: one CholeskyQR step, or
    /// the full <see cref="Orthonormalize"/> when Y is too ill-conditioned for it (Y is then overwritten).
    /// </summary>
    private static void Normalize(PooledMatrix y, PooledMatrix result, PooledMatrix? spare, Parallelism parallelism)
    {
        if (CholeskyQrStep(y.ReadOnlySpan, result.Span, parallelism)) return;
        if (spare is not null) { Orthonormalize(y, result, spare, parallelism); return; }
        using var scratch = new PooledMatrix(y.Rows, y.Columns, clear: false);
        Orthonormalize(y, result, scratch, parallelism);
    }

    /// <summary>
    /// Q with orthonormal columns spanning range(Y), written into <paramref name="result"/>: CholeskyQR2 when QᵀQ comes out
    /// the identity to 1e-10, else Householder QR (Y is then factored in place).
    /// </summary>
    private static void Orthonormalize(PooledMatrix y, PooledMatrix result, PooledMatrix spare, Parallelism parallelism)
    {
        if (CholeskyQrStep(y.ReadOnlySpan, spare.Span, parallelism) && CholeskyQrStep(spare.ReadOnlySpan, result.Span, parallelism))
        {
            var gram = new DenseMatrix(result.Columns, result.Columns);
            Gemm.Multiply(1.0, result.ReadOnlySpan, MatrixOp.Transpose, result.ReadOnlySpan, MatrixOp.None, 0.0, gram.Span, parallelism);
            for (int i = 0; i < gram.Rows; i++) gram[i, i] -= 1;
            if (Dense.MaxAbs(gram.Data) <= 1e-10) return;
        }
        HouseholderQ(y, result, parallelism);
    }

    /// <summary>The thin Q of Y = Q·R written into <paramref name="q"/> (Householder QR of Y in place: Y is overwritten).</summary>
    private static void HouseholderQ(PooledMatrix y, PooledMatrix q, Parallelism parallelism)
    {
        var tau = new double[Math.Min(y.Rows, y.Columns)];
        var blockT = Qr.FactorInPlace(y.Span, tau, parallelism);
        q.Elements.Clear();
        Qr.ThinQ(y.ReadOnlySpan, tau, blockT, Qr.DefaultBlockSize, q.Span, parallelism);
    }

    // Q = Y·L⁻ᵀ with L·Lᵀ = YᵀY written into q; false (q untouched or partial) when YᵀY is not numerically positive definite.
    private static bool CholeskyQrStep(ReadOnlyMatrixSpan<double> y, MatrixSpan<double> q, Parallelism parallelism)
    {
        var gram = new DenseMatrix(y.Columns, y.Columns);
        Gemm.Multiply(1.0, y, MatrixOp.Transpose, y, MatrixOp.None, 0.0, gram.Span, parallelism);
        DenseMatrix l;
        try
        {
            l = Cholesky.Factor(gram, parallelism).L;
        }
        catch (NotPositiveDefiniteException)
        {
            return false;   // the caller falls back to Householder QR
        }
        var inverse = DenseMatrix.Identity(l.Rows);
        TriangularSolve.Lower(l.ReadOnlySpan, inverse.Span, parallelism: parallelism);   // L⁻¹
        if (!inverse.Data.All(double.IsFinite)) return false;
        Gemm.Multiply(1.0, y, MatrixOp.None, inverse.ReadOnlySpan, MatrixOp.Transpose, 0.0, q, parallelism);
        return true;
    }
}
