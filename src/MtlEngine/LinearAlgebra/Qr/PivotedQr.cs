using MtlEngine.Kernels;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// QR with column pivoting, A·P = Q·R (Businger–Golub; LAPACK's geqpf): at step j the remaining column with the largest
/// norm is moved to position j before its reflector is made, so |r₀₀| ≥ |r₁₁| ≥ … and the numerical rank shows on R's
/// diagonal. Column norms are downdated, ‖a_c‖² ← ‖a_c‖² − r_jc², and recomputed when cancellation has eaten
/// their accuracy. Unblocked (level 2). <see cref="LeastSquares"/> returns the basic solution (zeros in the last
/// n − rank pivoted coordinates); <see cref="MinimumNormLeastSquares(DenseMatrix, double?)"/> the minimum-norm one through a
/// complete orthogonal decomposition (LAPACK's gelsy).
/// </summary>
public sealed class PivotedQr
{
    private readonly Qr _qr;

    private readonly Parallelism _parallelism;

    private PivotedQr(Qr qr, int[] permutation, Parallelism parallelism)
    {
        _qr = qr;
        Permutation = permutation;
        _parallelism = parallelism;
    }

    /// <summary>Column j of A·P is column <c>Permutation[j]</c> of A.</summary>
    public int[] Permutation { get; }

    /// <summary>R on and above the diagonal, the Householder vectors below, of A·P; shape (m, n).</summary>
    public DenseMatrix Factors => _qr.Factors;

    /// <summary>The upper-triangular R of shape (min(m, n), n), with non-increasing |rᵢᵢ|.</summary>
    public DenseMatrix R => _qr.R;

    /// <summary>The thin Q of shape (m, min(m, n)).</summary>
    public DenseMatrix ThinQ() => _qr.ThinQ();

    /// <summary>Factors A (not changed).</summary>
    public static PivotedQr Factor(DenseMatrix a, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        var f = a.Clone();
        int m = f.Rows, n = f.Columns, k = Math.Min(m, n);
        var perm = new int[n];
        for (int j = 0; j < n; j++) perm[j] = j;
        var norms = new double[n];
        var exact = new double[n];
        for (int c = 0; c < n; c++)
        {
            double s = 0;
            for (int i = 0; i < m; i++) s += f[i, c] * f[i, c];
            norms[c] = exact[c] = Math.Sqrt(s);
        }
        var tau = new double[k];
        var work = new double[Math.Max(n, 1)];
        var span = f.Span;
        double tol3z = Math.Sqrt(MachineEpsilon.Double);
        for (int j = 0; j < k; j++)
        {
            int p = j;
            for (int c = j + 1; c < n; c++) if (norms[c] > norms[p]) p = c;
            if (p != j)
            {
                for (int i = 0; i < m; i++) (f[i, j], f[i, p]) = (f[i, p], f[i, j]);
                (perm[j], perm[p]) = (perm[p], perm[j]);
                (norms[j], norms[p]) = (norms[p], norms[j]);
                (exact[j], exact[p]) = (exact[p], exact[j]);
            }
            tau[j] = Householder.MakeReflector(span, j, j);
            Householder.ApplyReflectorToColumns(span, j, j, tau[j], j + 1, n, work);
            for (int c = j + 1; c < n; c++)
            {
                if (norms[c] == 0) continue;
                double ratio = Math.Abs(f[j, c]) / norms[c];
                double t = Math.Max(0, 1 - ratio * ratio);
                double t2 = t * (norms[c] / exact[c]) * (norms[c] / exact[c]);
                if (t2 <= tol3z)
                {
                    double s = 0;
                    for (int i = j + 1; i < m; i++) s += f[i, c] * f[i, c];
                    norms[c] = exact[c] = Math.Sqrt(s);
                }
                else norms[c] *= Math.Sqrt(t);
            }
        }
        return new PivotedQr(new Qr(f, tau, parallelism ?? TensorParallelism.Current, Qr.DefaultBlockSize), perm, parallelism ?? TensorParallelism.Current);
    }

    /// <summary>
    /// The numerical rank: the number of |rᵢᵢ| above <paramref name="tolerance"/>·|r₀₀|
    /// (default max(m, n)·ε, as NumPy's matrix_rank uses for singular values).
    /// </summary>
    public int Rank(double? tolerance = null)
    {
        int k = Math.Min(Factors.Rows, Factors.Columns);
        if (k == 0) return 0;
        double tol = (tolerance ?? Math.Max(Factors.Rows, Factors.Columns) * MachineEpsilon.Double) * Math.Abs(Factors[0, 0]);
        int r = 0;
        while (r < k && Math.Abs(Factors[r, r]) > tol) r++;
        return r;
    }

    /// <summary>
    /// The basic least-squares solution of A·X ≈ B (B of shape (m, r)): with rank ρ, solve R₁₁·y = (Qᵀ·B)[0..ρ],
    /// set the other n − ρ coordinates to zero and undo the column permutation.
    /// </summary>
    public DenseMatrix LeastSquares(DenseMatrix b, double? tolerance = null)
    {
        var qtb = _qr.TransposeQTimes(b);
        int rank = Rank(tolerance), n = Factors.Columns;
        var y = qtb.SliceRows(0, rank);
        TriangularSolve.Upper(Dense.Sub(Factors, 0, 0, rank, rank), y.Span, parallelism: Parallelism.Sequential);
        var x = new DenseMatrix(n, b.Columns);
        for (int j = 0; j < rank; j++) y.Row(j).CopyTo(x.Row(Permutation[j]));
        return x;
    }

    /// <summary>
    /// The minimum-norm least-squares solution X = A⁺·B of A·X ≈ B (B of shape (m, r), X of shape (n, r)) for any shape
    /// and rank, by a complete orthogonal decomposition (LAPACK's gelsy). With ρ = <see cref="Rank"/>(tolerance), A·P
    /// is Q·[R₁₁ R₁₂; 0 R₂₂] with R₂₂ dropped as negligible; the ρ×n block [R₁₁ R₁₂] is reduced from the right by a
    /// QR of its transpose, [R₁₁ R₁₂]ᵀ = W·[S; 0], so that A·P ≈ Q₁·Sᵀ·[I 0]·Wᵀ and
    /// <code>
    /// c = (Qᵀ·B)[0..ρ],   y = S⁻ᵀ·c,   X = P·W·[y; 0]
    /// </code>
    /// (‖X‖ is smallest because W is orthogonal and the last n − ρ coordinates of Wᵀ·Pᵀ·X are free, hence zero).
    /// Matches numpy.linalg.lstsq when the singular values have a clear gap at the rank; where they decay without one
    /// (Hilbert matrices) the truncation, and so the answer, differs from the SVD's.
    /// </summary>
    /// <param name="b">The right-hand sides, shape (m, r).</param>
    /// <param name="tolerance">Relative rank tolerance on |rᵢᵢ| / |r₀₀| (default max(m, n)·ε, as NumPy's rcond).</param>
    /// <exception cref="MatrixShapeException">When B does not have m rows.</exception>
    public DenseMatrix MinimumNormLeastSquares(DenseMatrix b, double? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        MatrixShapeException.ThrowIfRowsDiffer(Factors, b, "minimum-norm least squares");
        int n = Factors.Columns, rank = Rank(tolerance), r = b.Columns;
        var x = new DenseMatrix(n, r);
        if (rank == 0 || r == 0) return x;
        var c = _qr.TransposeQTimes(b).SliceRows(0, rank);
        // [R₁₁ R₁₂]ᵀ (n×ρ) = W·[S; 0]
        var top = new DenseMatrix(n, rank);
        for (int i = 0; i < rank; i++)
            for (int j = i; j < n; j++) top[j, i] = Factors[i, j];
        var w = Qr.Factor(top, _parallelism);
        // Sᵀ·y = c (S is the ρ×ρ upper triangle of W's factors; Sᵀ is lower triangular).
        TriangularSolve.Lower(Dense.Sub(w.Factors.ReadOnlySpan, 0, 0, rank, rank).Transposed(), c.Span, false, _parallelism);
        var z = new DenseMatrix(n, r);
        for (int i = 0; i < rank; i++) c.Row(i).CopyTo(z.Row(i));
        var pz = w.QTimes(z);
        for (int j = 0; j < n; j++) pz.Row(j).CopyTo(x.Row(Permutation[j]));
        return x;
    }

    /// <summary>
    /// The minimum-norm least-squares solution of A·X ≈ B and the numerical rank used (see
    /// <see cref="MinimumNormLeastSquares(DenseMatrix, double?)"/>), factoring A with column pivoting first.
    /// </summary>
    /// <param name="a">A, shape (m, n), any rank (not changed).</param>
    /// <param name="b">B, shape (m, r).</param>
    /// <param name="tolerance">Relative rank tolerance (default max(m, n)·ε).</param>
    /// <param name="parallelism">Threads for the GEMM-based parts.</param>
    /// <exception cref="MatrixShapeException">When B does not have m rows.</exception>
    public static (DenseMatrix Solution, int Rank) MinimumNormLeastSquares(DenseMatrix a, DenseMatrix b, double? tolerance = null, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        MatrixShapeException.ThrowIfRowsDiffer(a, b, "minimum-norm least squares");
        var pqr = Factor(a, parallelism);
        return (pqr.MinimumNormLeastSquares(b, tolerance), pqr.Rank(tolerance));
    }

    /// <summary>Q·R·Pᵀ, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct()
    {
        var ap = _qr.Reconstruct();
        var a = new DenseMatrix(ap.Rows, ap.Columns);
        for (int i = 0; i < ap.Rows; i++)
            for (int j = 0; j < ap.Columns; j++) a[i, Permutation[j]] = ap[i, j];
        return a;
    }
}
