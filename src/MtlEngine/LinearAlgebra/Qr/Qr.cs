using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Householder QR, A = Q·R for A of shape (m, n): R upper triangular (k×n with k = min(m, n)), Q = H₀·H₁·…·H_{k−1}
/// orthogonal. Blocked with the compact WY form (LAPACK's geqrf; the kernels are in <see cref="RecursiveQr"/>):
/// <code>
/// for each block of nb columns:
///   factor the panel with Householder reflections Hⱼ = I − τⱼ·vⱼ·vⱼᵀ, recursively halved (Elmroth–Gustavson),
///   which also builds T with H_k…H_{k+nb−1} = I − V·T·Vᵀ
///   A_trailing ← (I − V·T·Vᵀ)ᵀ·A_trailing                     (three GEMMs)
/// </code>
/// The panels' T factors are kept, so forming the thin Q (orgqr, backwards) and applying Q or Qᵀ are GEMMs only.
/// Gives the thin Q (m×k), Qᵀ·B and Q·B without forming Q, and least squares min ‖A·x − b‖ for full-column-rank A
/// (m ≥ n): x = R⁻¹·(Qᵀb)[0..n]. For rank-deficient problems use <see cref="PivotedQr"/>.
/// The textbook twin is <see cref="QrTextbook"/>.
/// </summary>
public sealed class Qr
{
    /// <summary>The default block width nb (measured at m = 2048, n = 512: 48 to 128 within noise; wider panels give the
    /// Vᵀ·C product of the trailing update a larger GEMM dimension).</summary>
    public const int DefaultBlockSize = 96;

    private readonly Parallelism _parallelism;
    private readonly int _blockSize;

    internal Qr(DenseMatrix factors, double[] tau, Parallelism parallelism, int blockSize, double[][]? blockT = null)
    {
        Factors = factors;
        Tau = tau;
        _parallelism = parallelism;
        _blockSize = blockSize;
        int k = Math.Min(factors.Rows, factors.Columns);
        _blockT = blockT ?? new double[k == 0 ? 0 : (k + blockSize - 1) / blockSize][];
    }

    // The compact WY factor T of each block of _blockSize reflectors (H_j0…H_j1−1 = I − V·T·Vᵀ): kept from the
    // factorization, or built on first use (larft) when the reflectors came from elsewhere (PivotedQr).
    private readonly double[][] _blockT;

    /// <summary>R on and above the diagonal, the Householder vectors vⱼ (v₀ = 1 implied) below it; shape (m, n).</summary>
    public DenseMatrix Factors { get; }

    /// <summary>The reflector scalars τⱼ, j = 0 .. min(m, n) − 1.</summary>
    public double[] Tau { get; }

    /// <summary>The number of rows m.</summary>
    public int Rows => Factors.Rows;

    /// <summary>The number of columns n.</summary>
    public int Columns => Factors.Columns;

    /// <summary>Factors A (not changed).</summary>
    public static Qr Factor(DenseMatrix a, Parallelism? parallelism = null) => Factor(a, parallelism ?? TensorParallelism.Current, DefaultBlockSize);

    /// <summary>Factors an m×n array.</summary>
    public static Qr Factor(double[,] a, Parallelism? parallelism = null) => Factor(DenseMatrix.FromArray(a), parallelism);

    /// <summary>
    /// Factors in place, as LAPACK's geqrf: <paramref name="a"/> is overwritten with R (on and above the diagonal) and the
    /// Householder vectors (below it), and the returned factorization holds <paramref name="a"/> itself as
    /// <see cref="Factors"/> (no m×n copy; for large matrices whose original is no longer needed, or storage reused
    /// from call to call).
    /// </summary>
    public static Qr FactorInPlace(DenseMatrix a, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        var tau = new double[Math.Min(a.Rows, a.Columns)];
        var blockT = RecursiveQr.FactorInPlace(a.Span, tau, parallelism ?? TensorParallelism.Current, DefaultBlockSize);
        return new Qr(a, tau, parallelism ?? TensorParallelism.Current, DefaultBlockSize, blockT);
    }

    /// <summary>
    /// Factors A (not changed) into <paramref name="storage"/> (m×n, overwritten; it becomes the returned factorization's
    /// <see cref="Factors"/>). The workspace form for loops, as <see cref="Lu.Factor(DenseMatrix, DenseMatrix, Parallelism?)"/>:
    /// a fresh m×n copy is fresh memory whose first touch costs page faults on every call; storage reused from call to call is
    /// already mapped. The previous factorization in the same storage is overwritten. Same values as <see cref="Factor(DenseMatrix, Parallelism?)"/>.
    /// </summary>
    /// <exception cref="MatrixShapeException">When the storage does not have A's shape.</exception>
    public static Qr Factor(DenseMatrix a, DenseMatrix storage, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(storage);
        if (storage.Rows != a.Rows || storage.Columns != a.Columns)
            throw new MatrixShapeException($"QR storage must have A's shape {a.ShapeText}, but has shape {storage.ShapeText}; pass an m×n matrix.");
        a.Data.AsSpan().CopyTo(storage.Data);
        return FactorInPlace(storage, parallelism);
    }

    internal static Qr Factor(DenseMatrix a, Parallelism parallelism, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        // The copy is the first touch of fresh memory: split over the threads (see FirstTouch).
        var f = FirstTouch.Copy(a, parallelism);
        var tau = new double[Math.Min(f.Rows, f.Columns)];
        var blockT = RecursiveQr.FactorInPlace(f.Span, tau, parallelism, blockSize);
        return new Qr(f, tau, parallelism, blockSize, blockT);
    }

    /// <summary>The upper-triangular R of shape (min(m, n), n).</summary>
    public DenseMatrix R
    {
        get
        {
            int k = Math.Min(Rows, Columns);
            var r = FirstTouch.Zeros(k, Columns, _parallelism);
            for (int i = 0; i < k; i++) Factors.Row(i)[i..].CopyTo(r.Row(i)[i..]);
            return r;
        }
    }

    /// <summary>
    /// R written into <paramref name="destination"/> of shape (min(m, n), n), zeros below the diagonal: the same values as
    /// <see cref="R"/> in caller storage, so a loop can reuse one matrix.
    /// </summary>
    /// <exception cref="MatrixShapeException">When the destination does not have shape (min(m, n), n).</exception>
    public void CopyR(DenseMatrix destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CopyR(Factors.ReadOnlySpan, destination.Span);
    }

    /// <summary>
    /// The thin Q of shape (m, min(m, n)) with orthonormal columns, accumulated backwards block by block (LAPACK's
    /// orgqr): Q = H₀·…·H_{k−1}·[I; 0], and block b (columns [j0, j1)) only touches Q[j0.., j0..]:
    /// <code>
    /// Q[j0.., j1..] −= V·(T·(Vᵀ·Q[j0.., j1..]))      (the later columns, three GEMMs)
    /// Q[j0.., j0..j1] = [I; 0] − V·(T·V₁ᵀ)           (the block's own columns, V₁ = V's unit upper-left block)
    /// </code>
    /// </summary>
    public DenseMatrix ThinQ()
    {
        // Fresh memory, first touched (zeroed) by all the threads before the GEMMs write it (see FirstTouch).
        var q = FirstTouch.Zeros(Rows, Math.Min(Rows, Columns), _parallelism);
        ThinQ(Factors.ReadOnlySpan, Tau, _blockT, _blockSize, q.Span, _parallelism);
        return q;
    }

    /// <summary>
    /// The thin Q written into <paramref name="destination"/> of shape (m, min(m, n)), whose contents are overwritten: the
    /// same values as <see cref="ThinQ()"/> in caller storage, so a loop can reuse one matrix.
    /// </summary>
    /// <exception cref="MatrixShapeException">When the destination does not have shape (m, min(m, n)).</exception>
    public void ThinQ(DenseMatrix destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int k = Math.Min(Rows, Columns);
        if (destination.Rows != Rows || destination.Columns != k)
            throw new MatrixShapeException($"The thin Q of a QR of shape ({Rows}, {Columns}) has shape ({Rows}, {k}), but the destination has shape {destination.ShapeText}.");
        Array.Clear(destination.Data);
        ThinQ(Factors.ReadOnlySpan, Tau, _blockT, _blockSize, destination.Span, _parallelism);
    }

    /// <summary>The thin Q of the combined factors written into <paramref name="q"/> (m×min(m, n), zero on entry: caller storage, e.g. a pooled block).</summary>
    internal static void ThinQ(ReadOnlyMatrixSpan<double> factors, ReadOnlySpan<double> tau, double[][] blockT, int blockSize, MatrixSpan<double> q, Parallelism parallelism)
    {
        int m = factors.Rows, k = Math.Min(factors.Rows, factors.Columns);
        if (q.Rows != m || q.Columns != k)
            throw new MatrixShapeException($"The thin Q of factors of shape ({m}, {factors.Columns}) has shape ({m}, {k}), but the destination has shape ({q.Rows}, {q.Columns}).");
        int blocks = blockT.Length;
        for (int blk = blocks - 1; blk >= 0; blk--)
        {
            // V = [V₁; V₂]: the unit-lower top V₁ (jb×jb, a small copy) and the rows below it, read in place.
            int j0 = blk * blockSize, jb = Math.Min(blockSize, k - j0), j1 = j0 + jb;
            var t = BlockT(blockT, tau, blockSize, blk, factors, jb);
            using var v1 = Householder.UnitLowerTop(factors, j0, j0, jb);
            var v2 = Dense.Sub(factors, j1, j0, m - j1, jb);
            if (j1 < k)
            {
                // Rows [j0, j1) of Q[:, j1..] are still zero, so Vᵀ·Q[j0.., j1..] = V₂ᵀ·Q[j1.., j1..].
                using var w = new PooledMatrix(jb, k - j1, clear: false);
                using var tw = new PooledMatrix(jb, k - j1, clear: false);
                Gemm.Multiply(1.0, v2.Transposed(), Dense.Sub(q.AsReadOnly(), j1, j1, m - j1, k - j1), 0.0, w.Span, parallelism);
                Gemm.Multiply(1.0, t, w.ReadOnlySpan, 0.0, tw.Span, parallelism);
                Gemm.Multiply(-1.0, v2, tw.ReadOnlySpan, 1.0, Dense.Sub(q, j1, j1, m - j1, k - j1), parallelism);
                Gemm.Multiply(-1.0, v1.ReadOnlySpan, tw.ReadOnlySpan, 0.0, Dense.Sub(q, j0, j1, jb, k - j1), parallelism);
            }
            using var y = new PooledMatrix(jb, jb, clear: false);
            Gemm.Multiply(1.0, t, v1.ReadOnlySpan.Transposed(), 0.0, y.Span, parallelism);
            var q1 = Dense.Sub(q, j0, j0, jb, jb);
            Gemm.Multiply(-1.0, v1.ReadOnlySpan, y.ReadOnlySpan, 0.0, q1, parallelism);
            for (int i = 0; i < jb; i++) q1[i, i] += 1;
            if (m > j1) Gemm.Multiply(-1.0, v2, y.ReadOnlySpan, 0.0, Dense.Sub(q, j1, j0, m - j1, jb), parallelism);
        }
    }

    /// <summary>T of block <paramref name="blk"/> (jb×jb), from the factorization or built now (larft) from the reflectors in place.</summary>
    private static ReadOnlyMatrixSpan<double> BlockT(double[][] blockT, ReadOnlySpan<double> tau, int blockSize, int blk, ReadOnlyMatrixSpan<double> factors, int jb)
    {
        var t = blockT[blk];
        if (t is null)
        {
            int j0 = blk * blockSize;
            t = new double[jb * jb];
            Householder.BuildTInPlace(factors, j0, j0, jb, tau.Slice(j0, jb), t);
            blockT[blk] = t;
        }
        return new ReadOnlyMatrixSpan<double>(t, jb, jb);
    }

    /// <summary>
    /// Factors <paramref name="a"/> (m×n) in place, for callers that own a scratch copy (no second copy is made): R on and
    /// above the diagonal, the reflectors below, τ in <paramref name="tau"/> (length min(m, n)). Returns the panels' T factors
    /// for <see cref="ApplyQ(ReadOnlyMatrixSpan{double}, ReadOnlySpan{double}, double[][], int, MatrixSpan{double}, bool, Parallelism)"/>.
    /// </summary>
    internal static double[][] FactorInPlace(MatrixSpan<double> a, Span<double> tau, Parallelism parallelism, int blockSize = DefaultBlockSize) =>
        RecursiveQr.FactorInPlace(a, tau, parallelism, blockSize);

    /// <summary>Writes R (min(m, n)×n, zeros below the diagonal) from the combined factors into <paramref name="r"/>.</summary>
    internal static void CopyR(ReadOnlyMatrixSpan<double> factors, MatrixSpan<double> r)
    {
        int k = Math.Min(factors.Rows, factors.Columns);
        if (r.Rows != k || r.Columns != factors.Columns)
            throw new MatrixShapeException($"R of factors of shape ({factors.Rows}, {factors.Columns}) has shape ({k}, {factors.Columns}), but the destination has shape ({r.Rows}, {r.Columns}).");
        for (int i = 0; i < k; i++)
            for (int j = 0; j < r.Columns; j++) r[i, j] = j < i ? 0 : factors[i, j];
    }

    /// <summary>
    /// C ← Q·C (or Qᵀ·C when <paramref name="transpose"/>) in place, Q given by the combined factors, τ and the panels' T
    /// factors of width <paramref name="blockSize"/> (missing ones are built and stored). C has m rows.
    /// </summary>
    internal static void ApplyQ(ReadOnlyMatrixSpan<double> factors, ReadOnlySpan<double> tau, double[][] blockT, int blockSize, MatrixSpan<double> c, bool transpose, Parallelism parallelism)
    {
        int rows = factors.Rows, k = Math.Min(factors.Rows, factors.Columns);
        if (c.Rows != rows)
            throw new MatrixShapeException($"Q·C needs C with {rows} rows (Q is {rows}×{rows}), but C has shape ({c.Rows}, {c.Columns}).");
        int blocks = blockT.Length;
        for (int s = 0; s < blocks; s++)
        {
            int blk = transpose ? s : blocks - 1 - s;
            int j0 = blk * blockSize, jb = Math.Min(blockSize, k - j0);
            var t = BlockT(blockT, tau, blockSize, blk, factors, jb);
            var cb = Dense.Sub(c, j0, 0, rows - j0, c.Columns);
            Householder.ApplyBlockInPlace(factors, j0, j0, jb, transpose ? t.Transposed() : t, cb, parallelism);
        }
    }

    /// <summary>Qᵀ·B for B of shape (m, r), without forming Q.</summary>
    /// <exception cref="MatrixShapeException">When B does not have m rows.</exception>
    public DenseMatrix TransposeQTimes(DenseMatrix b)
    {
        MatrixShapeException.ThrowIfRowsDiffer(Factors, b, "Qᵀ·B");
        var c = b.Clone();
        ApplyQ(c, transpose: true);
        return c;
    }

    /// <summary>Q·B for B of shape (m, r), without forming Q (Q is the full m×m product of the reflectors).</summary>
    /// <exception cref="MatrixShapeException">When B does not have m rows.</exception>
    public DenseMatrix QTimes(DenseMatrix b)
    {
        MatrixShapeException.ThrowIfRowsDiffer(Factors, b, "Q·B");
        var c = b.Clone();
        ApplyQ(c, transpose: false);
        return c;
    }

    private void ApplyQ(DenseMatrix c, bool transpose) => ApplyQ(Factors.ReadOnlySpan, Tau, _blockT, _blockSize, c.Span, transpose, _parallelism);

    /// <summary>The least-squares solution X = argmin ‖A·X − B‖_F for B of shape (m, r), A of full column rank with m ≥ n.</summary>
    /// <exception cref="MatrixShapeException">When m &lt; n or B does not have m rows.</exception>
    /// <exception cref="SingularMatrixException">When a diagonal entry of R is exactly zero (use <see cref="PivotedQr"/>).</exception>
    public DenseMatrix LeastSquares(DenseMatrix b)
    {
        if (Rows < Columns)
            throw new MatrixShapeException($"QR least squares needs at least as many rows as columns, but A has shape {Factors.ShapeText}; use PivotedQr or the SVD for an underdetermined problem.");
        var qtb = TransposeQTimes(b);
        var x = qtb.SliceRows(0, Columns);
        TriangularSolve.Upper(Dense.Sub(Factors, 0, 0, Columns, Columns), x.Span, false, _parallelism);
        return x;
    }

    /// <summary>The least-squares solution of A·x ≈ b for one right-hand side of length m.</summary>
    public double[] LeastSquares(ReadOnlySpan<double> b) => LeastSquares(DenseMatrix.Column(b)).Data;

    /// <summary>Q·R, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct()
    {
        int k = Math.Min(Rows, Columns);
        var r = new DenseMatrix(Rows, Columns);
        for (int i = 0; i < k; i++) Factors.Row(i)[i..].CopyTo(r.Row(i)[i..]);
        ApplyQ(r, transpose: false);
        return r;
    }
}

/// <summary>
/// The textbook Householder QR, one column at a time with scalar loops: for each column j, H = I − τ·v·vᵀ maps
/// A[j.., j] to β·e₀ and is applied to the columns right of it. Same reflectors as <see cref="Qr"/> (its twin).
/// </summary>
public static class QrTextbook
{
    /// <summary>Returns the combined factors (R on and above the diagonal, v below) and τ, exactly as <see cref="Qr.Factors"/> and <see cref="Qr.Tau"/>.</summary>
    public static (DenseMatrix Factors, double[] Tau) Factor(DenseMatrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var f = a.Clone();
        int m = f.Rows, n = f.Columns, k = Math.Min(m, n);
        var tau = new double[k];
        for (int j = 0; j < k; j++)
        {
            double tail = 0;
            for (int i = j + 1; i < m; i++) tail += f[i, j] * f[i, j];
            if (tail == 0) continue;
            double alpha = f[j, j], norm = Math.Sqrt(alpha * alpha + tail);
            double beta = -Math.CopySign(norm, alpha);
            tau[j] = (beta - alpha) / beta;
            for (int i = j + 1; i < m; i++) f[i, j] /= alpha - beta;
            f[j, j] = beta;
            for (int c = j + 1; c < n; c++)
            {
                double w = f[j, c];
                for (int i = j + 1; i < m; i++) w += f[i, j] * f[i, c];
                f[j, c] -= tau[j] * w;
                for (int i = j + 1; i < m; i++) f[i, c] -= tau[j] * f[i, j] * w;
            }
        }
        return (f, tau);
    }
}
