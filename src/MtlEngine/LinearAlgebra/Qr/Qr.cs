using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Householder QR, A = Q·R for A of shape (m, n): R upper triangular (k×n with k = min(m, n)), Q = H₀·H₁·…·H_{k−1}
/// orthogonal. Blocked with the compact WY form (LAPACK's geqrf):
/// <code>
/// for each block of nb columns:
///   factor the panel with Householder reflections Hⱼ = I − τⱼ·vⱼ·vⱼᵀ (recursively halved, WY updates inside)
///   T = larft(V, τ)                                           (H_k…H_{k+nb−1} = I − V·T·Vᵀ)
///   A_trailing ← (I − V·Tᵀ·Vᵀ)·A_trailing                     (three GEMMs)
/// </code>
/// Gives the thin Q (m×k), Qᵀ·B and Q·B without forming Q, and least squares min ‖A·x − b‖ for full-column-rank A
/// (m ≥ n): x = R⁻¹·(Qᵀb)[0..n]. For rank-deficient problems use <see cref="PivotedQr"/>.
/// The textbook twin is <see cref="QrTextbook"/>.
/// </summary>
public sealed class Qr
{
    /// <summary>The default block width nb.</summary>
    public const int DefaultBlockSize = 48;

    private readonly Parallelism _parallelism;
    private readonly int _blockSize;

    internal Qr(DenseMatrix factors, double[] tau, Parallelism parallelism, int blockSize)
    {
        Factors = factors;
        Tau = tau;
        _parallelism = parallelism;
        _blockSize = blockSize;
    }

    /// <summary>R on and above the diagonal, the Householder vectors vⱼ (v₀ = 1 implied) below it; shape (m, n).</summary>
    public DenseMatrix Factors { get; }

    /// <summary>The reflector scalars τⱼ, j = 0 .. min(m, n) − 1.</summary>
    public double[] Tau { get; }

    /// <summary>The number of rows m.</summary>
    public int Rows => Factors.Rows;

    /// <summary>The number of columns n.</summary>
    public int Columns => Factors.Columns;

    /// <summary>Factors A (not changed).</summary>
    public static Qr Factor(DenseMatrix a, Parallelism parallelism = default) => Factor(a, parallelism, DefaultBlockSize);

    /// <summary>Factors a float64 tensor of shape (m, n).</summary>
    public static Qr Factor(MtlTensor<double> a, Parallelism parallelism = default) => Factor(DenseMatrix.FromTensor(a), parallelism);

    /// <summary>Factors an m×n array.</summary>
    public static Qr Factor(double[,] a, Parallelism parallelism = default) => Factor(DenseMatrix.FromArray(a), parallelism);

    internal static Qr Factor(DenseMatrix a, Parallelism parallelism, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(a);
        var f = a.Clone();
        var tau = FactorInPlace(f, parallelism, blockSize);
        return new Qr(f, tau, parallelism, blockSize);
    }

    internal static double[] FactorInPlace(DenseMatrix f, Parallelism parallelism, int blockSize)
    {
        int m = f.Rows, n = f.Columns, k = Math.Min(m, n);
        var tau = new double[k];
        var work = new double[Math.Max(n, 1)];
        var span = f.Span;
        for (int j0 = 0; j0 < k; j0 += blockSize)
        {
            int jb = Math.Min(blockSize, k - j0), j1 = j0 + jb;
            FactorPanel(f, tau, j0, j1, work, parallelism);
            if (j1 < n)
            {
                using var v = Householder.ExplicitV(f.ReadOnlySpan, j0, j0, jb);
                var t = Householder.BuildT(v, tau.AsSpan(j0, jb));
                Householder.ApplyBlock(v, t, transpose: true, Dense.Sub(f, j0, j1, m - j0, n - j1), parallelism);
            }
        }
        return tau;
    }

    /// <summary>
    /// The panel columns [j0, j1) (rows j0..), recursively (Elmroth–Gustavson): factor the left half, apply its
    /// compact WY block to the right half (GEMMs), factor the right half; at most 8 columns are done one reflector at a time.
    /// </summary>
    private static void FactorPanel(DenseMatrix f, double[] tau, int j0, int j1, double[] work, Parallelism parallelism)
    {
        var span = f.Span;
        if (j1 - j0 <= 8)
        {
            for (int j = j0; j < j1; j++)
            {
                tau[j] = Householder.MakeReflector(span, j, j);
                Householder.ApplyReflectorToColumns(span, j, j, tau[j], j + 1, j1, work);
            }
            return;
        }
        int mid = j0 + (j1 - j0) / 2;
        FactorPanel(f, tau, j0, mid, work, parallelism);
        using (var v = Householder.ExplicitV(f.ReadOnlySpan, j0, j0, mid - j0))
        {
            var t = Householder.BuildT(v, tau.AsSpan(j0, mid - j0));
            Householder.ApplyBlock(v, t, transpose: true, Dense.Sub(f, j0, mid, f.Rows - j0, j1 - mid), parallelism);
        }
        FactorPanel(f, tau, mid, j1, work, parallelism);
    }

    /// <summary>The upper-triangular R of shape (min(m, n), n).</summary>
    public DenseMatrix R
    {
        get
        {
            int k = Math.Min(Rows, Columns);
            var r = new DenseMatrix(k, Columns);
            for (int i = 0; i < k; i++) Factors.Row(i)[i..].CopyTo(r.Row(i)[i..]);
            return r;
        }
    }

    /// <summary>The thin Q of shape (m, min(m, n)) with orthonormal columns.</summary>
    public DenseMatrix ThinQ()
    {
        int k = Math.Min(Rows, Columns);
        var q = new DenseMatrix(Rows, k);
        for (int i = 0; i < k; i++) q[i, i] = 1;
        ApplyQ(q, transpose: false);
        return q;
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

    private void ApplyQ(DenseMatrix c, bool transpose)
    {
        int k = Math.Min(Rows, Columns);
        int blocks = (k + _blockSize - 1) / _blockSize;
        for (int s = 0; s < blocks; s++)
        {
            int blk = transpose ? s : blocks - 1 - s;
            int j0 = blk * _blockSize, jb = Math.Min(_blockSize, k - j0);
            using var v = Householder.ExplicitV(Factors.ReadOnlySpan, j0, j0, jb);
            var t = Householder.BuildT(v, Tau.AsSpan(j0, jb));
            Householder.ApplyBlock(v, t, transpose, Dense.Sub(c, j0, 0, Rows - j0, c.Columns), _parallelism);
        }
    }

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
